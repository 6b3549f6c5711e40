package bot

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Logs name no one. A web user id is a bearer secret, and Telegram and
// WeChat ids, chat ids and session keys (which contain them) identify
// people: a log line carries LogID of them instead, a keyed hash that
// still lets an operator follow one user through the logs (the same id
// gives the same hash in every replica sharing the key) but cannot be
// turned back into the id — a plain hash of a Telegram id could, by
// trying every number.

// LogIDKey derives the key of LogID from a deployment secret shared by the
// replicas (the app's pickup secret), under a label of its own so it is
// no other key.
func LogIDKey(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("shopbot: ids in logs"))
	return mac.Sum(nil)
}

// LogHash is the log form of id under key: "#" and 12 hex digits of
// HMAC-SHA-256 (48 bits: enough to tell users apart in logs).
func LogHash(key []byte, id string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	return "#" + hex.EncodeToString(mac.Sum(nil)[:6])
}

// LogID is the log form of a user id, chat id or session key (LogHash
// under Options.LogKey).
func (r *Router) LogID(id string) string { return LogHash(r.logKey, id) }

// minScrubbed is the shortest id ScrubError replaces: shorter ones would
// mangle every number of the message that contains them (real Telegram and
// WeChat ids are longer; web ids have at least 8 characters).
const minScrubbed = 4

// ScrubError returns err with each of ids replaced by its LogID in its
// text, for logging; errors.Is and errors.As still see err. Store errors
// name the session key or the buyer ("orders of web:…"), so a failure is
// scrubbed before any log line shows it.
func (r *Router) ScrubError(err error, ids ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, id := range ids {
		if len(id) >= minScrubbed && strings.Contains(msg, id) {
			msg = strings.ReplaceAll(msg, id, r.LogID(id))
		}
	}
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// randomLogKey is the key of a router given none: hashes then correlate
// within one process only.
func randomLogKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never returns an error
	return k
}
