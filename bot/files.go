package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	tgbot "github.com/go-telegram/bot"
)

// maxPhoto is the most a photo fetched for staff may weigh: the Bot API lets a
// bot download files of up to 20 MB.
const maxPhoto = 20 << 20

// ErrNotImage is a file that is not a picture: the workbench serves pictures only,
// so that nothing a resident sent can run as a page in its origin.
var ErrNotImage = errors.New("telegram: the file is not an image")

// Photo fetches a file a resident sent (getFile, then the file itself) for the
// workbench to pass on to staff: the download link holds the bot's token and
// is never shown. The content type is sniffed, and must be an image.
func (t *Transport) Photo(ctx context.Context, fileID string) (io.ReadCloser, string, error) {
	f, err := t.tg.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, "", fmt.Errorf("telegram getFile: %w", redactToken(err, t.token))
	}
	if f.FileSize > maxPhoto {
		return nil, "", fmt.Errorf("telegram: the file is %d bytes, more than %d", f.FileSize, maxPhoto)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.tg.FileDownloadLink(f), nil)
	if err != nil {
		return nil, "", fmt.Errorf("telegram file: %w", redactToken(err, t.token))
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("telegram file: %w", redactToken(err, t.token))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram file: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPhoto+1))
	resp.Body.Close()
	if err != nil {
		return nil, "", fmt.Errorf("telegram file: %w", redactToken(err, t.token))
	}
	if len(body) > maxPhoto {
		return nil, "", fmt.Errorf("telegram: the file is more than %d bytes", maxPhoto)
	}
	kind := http.DetectContentType(body)
	if !strings.HasPrefix(kind, "image/") {
		return nil, "", ErrNotImage
	}
	return io.NopCloser(bytes.NewReader(body)), kind, nil
}
