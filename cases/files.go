package cases

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/minyi-project/minyi/concern"
)

// Files fetches a photo a resident sent the bot, by the file id Telegram gave
// it (the Bot API's getFile): its bytes and their content type.
type Files interface {
	Photo(ctx context.Context, fileID string) (io.ReadCloser, string, error)
}

// WithFiles lets those who may read a concern see its photos, fetched through f.
func WithFiles(f Files) Option { return func(s *Service) { s.files = f } }

// Photo is the nth photo (from 0) of concern id, for whoever may read the
// concern; the bytes go to them through minyi, never as a link to Telegram
// (whose links carry the bot's token). Each look is audited.
func (s *Service) Photo(ctx context.Context, a Actor, id string, n int) (io.ReadCloser, string, error) {
	r, err := s.readable(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if n < 0 || n >= len(r.Photos) || s.files == nil {
		return nil, "", &Refusal{Reason: NoPhoto, ID: id}
	}
	body, kind, err := s.files.Photo(ctx, r.Photos[n])
	if err != nil {
		return nil, "", fmt.Errorf("photo %d of %s: %w", n+1, id, err)
	}
	if err := s.audit(ctx, a, "photo", id, strconv.Itoa(n+1)); err != nil {
		body.Close()
		return nil, "", err
	}
	return body, kind, nil
}

// readable is concern id if the actor may read it: staff and admins as they
// handle it, a grid worker of their grid or filing; outside a grid worker's grid
// or a community's staff member's community it is as if there were none.
func (s *Service) readable(ctx context.Context, a Actor, id string) (*concern.Report, error) {
	if _, ok := s.scope(a); !ok {
		return nil, refuse(NotAllowed)
	}
	r, err := s.st.Report(ctx, id)
	if err != nil {
		return nil, missing(err, id)
	}
	switch {
	case a.Role == concern.RoleGrid && !s.sees(a, r), a.outside(r):
		return nil, &Refusal{Reason: NotFound, ID: id}
	case !s.sees(a, r):
		return nil, &Refusal{Reason: Restricted, ID: id}
	}
	return r, nil
}
