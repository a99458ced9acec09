package workbench

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/minyi-project/minyi/cases"
)

// photo passes on the nth photo (from 1) of a concern to whoever may read the
// concern, fetched from the Bot API; the resident's file never gets a public link.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, v visit) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		http.NotFound(w, r)
		return
	}
	body, kind, err := s.svc.Photo(r.Context(), v.actor, r.PathValue("id"), n-1)
	if ref, ok := cases.AsRefusal(err); ok && ref.Reason == cases.NoPhoto {
		http.Error(w, s.refusal(v.actor.Lang, r.PathValue("id"), ref), http.StatusNotFound)
		return
	}
	if err != nil {
		if _, ok := cases.AsRefusal(err); ok {
			s.concernFailed(w, r, v, err)
			return
		}
		s.log.Warn("workbench: photo not fetched", "concern", r.PathValue("id"), "photo", n, "err", err)
		http.Error(w, s.cat.Render(v.actor.Lang, "web_photo_failed"), http.StatusBadGateway)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", kind)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	// a resident's photo: kept by this browser only, for a while
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(int(10*time.Minute/time.Second)))
	io.Copy(w, body)
}
