package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// ctxClient gives the library's context-less requests a context: the
// library builds its requests itself, so each call gets a shallow copy of
// the BotAPI whose Client attaches the caller's context.
type ctxClient struct {
	ctx context.Context
	c   *http.Client
}

// Do implements tgbotapi.HTTPClient. An answer that is not JSON (a proxy's
// 502 page) becomes a statusError instead of a confusing decoding error.
func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.c.Do(req.WithContext(c.ctx))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt != "application/json" {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			return nil, &statusError{Code: resp.StatusCode}
		}
	}
	return resp, nil
}

// statusError is a non-JSON HTTP error answer.
type statusError struct{ Code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// tokenScrubber removes the bot token from error texts: the library puts it
// in every request URL, and net/http quotes that URL in its errors.
type tokenScrubber string

const tokenMask = "<token>"

func (token tokenScrubber) scrub(err error) error {
	t := string(token)
	if err == nil || t == "" || !strings.Contains(err.Error(), t) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) && !strings.Contains(ue.Err.Error(), t) && err.Error() == ue.Error() {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, t, tokenMask), Err: ue.Err}
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), t, tokenMask), cause: err}
}

// scrubbedError carries a cleaned message. It answers errors.Is for its
// cause but does not unwrap to it, so the token cannot leak through Unwrap.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string        { return e.msg }
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.cause, target) }
