package digest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/minyi-project/minyi/period"
)

// Load reads a digest back from the archive (its JSON), in loc.
func Load(data []byte, loc *time.Location) (*Digest, error) {
	var d Digest
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	from, err1 := time.ParseInLocation("2006-01-02", d.From, loc)
	to, err2 := time.ParseInLocation("2006-01-02", d.To, loc)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	d.Period = period.Period{From: from, To: to}
	return &d, nil
}
