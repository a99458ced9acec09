package cases

import (
	"context"
	"errors"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/store"
)

// SubmitExternal queues a concern that came in by another channel (the intake
// API), screened as a chat's is. The same external id again answers with the
// first concern (fresh false); with another text, store.ErrTextDiffers.
func (s *Service) SubmitExternal(ctx context.Context, channel, externalID string, r *concern.Report, keep time.Duration) (id string, fresh bool, err error) {
	if s.screen != nil {
		intake.Flag(r, s.screen.Screen(r.Text))
	}
	return s.st.SubmitExternal(ctx, channel, externalID, r, keep)
}

// ExternalConcern is a concern as the channel that sent it may read it back:
// recorded (the report), or accepted and queued still (queued, no report). Any
// other channel's, and ids never given out, are NotFound.
func (s *Service) ExternalConcern(ctx context.Context, channel, id string) (r *concern.Report, queued bool, err error) {
	r, err = s.st.Report(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// accepted but not yet recorded by the intake worker: queued, for its own channel only
		queued, from, err := s.st.QueuedFrom(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if queued && from == channel {
			return nil, true, nil
		}
		return nil, false, &Refusal{Reason: NotFound, ID: id}
	}
	if err != nil {
		return nil, false, err
	}
	if r.Channel != channel {
		return nil, false, &Refusal{Reason: NotFound, ID: id}
	}
	return r, false, nil
}
