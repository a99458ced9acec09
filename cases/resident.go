package cases

import (
	"context"
	"errors"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
)

// Summaries are the latest of a user's concerns, and how many they have in all.
type Summaries struct {
	List  []concern.Summary
	Total int
}

// Filed are the concerns a grid worker filed for residents, newest first.
func (s *Service) Filed(ctx context.Context, a Actor) (Summaries, error) {
	if a.Role != concern.RoleGrid {
		return Summaries{}, refuse(NotAllowed)
	}
	list, total, err := s.intake.List(ctx, a.UserID, store.ListFiled, flows.MineShown)
	return Summaries{List: list, Total: total}, err
}

// Forget erases the actor's name, phone and Telegram identity from the concerns
// they reported; the text and tags stay, anonymous, for statistics. It returns
// how many concerns it changed.
func (s *Service) Forget(ctx context.Context, a Actor) (int, error) {
	ids, err := s.st.MineIDs(ctx, a.UserID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		_, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
			if r.ReplyChat != a.Chat && r.ReporterID != a.UserID {
				return nil
			}
			r.ReporterID, r.ReporterName, r.Phone, r.ReplyChat = 0, "", "", 0
			r.Forgotten = true
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // still in the queue; see below
		}
		if err != nil {
			return n, err
		}
		if err := s.audit(ctx, a, "forget", id, ""); err != nil {
			return n, err
		}
		n++
	}
	return n, s.st.DropMine(ctx, a.UserID)
}

// Rate records the reporter's verdict on a closed concern; 不满意 reopens it.
func (s *Service) Rate(ctx context.Context, a Actor, id string, rating concern.Rating) (*concern.Report, error) {
	now := s.now()
	r, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
		if r.ReplyChat == 0 || r.ReplyChat != a.Chat {
			return refuse(NotYours)
		}
		if r.Rating != "" {
			if r.Changed(a.Request) {
				return nil
			}
			return refuse(AlreadyRated)
		}
		if r.Status != concern.StatusClosed {
			return refuse(NotClosed)
		}
		r.Rating = rating
		if rating == concern.Unsatisfied {
			r.Status = concern.StatusInProgress
			r.History = append(r.History, concern.StatusChange{At: now, Status: concern.StatusInProgress, By: concern.ByRating, Code: concern.HistReopened, Input: a.Request})
		}
		return nil
	})
	if err != nil {
		return nil, missing(err, id)
	}
	if err := s.audit(ctx, a, "rate", id, string(rating)); err != nil {
		return nil, err
	}
	if rating == concern.Unsatisfied {
		return r, s.audit(ctx, a, "reopen", id, "")
	}
	return r, nil
}
