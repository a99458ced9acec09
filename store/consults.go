package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/consult"
)

// Consultations, the chats each was sent to and their answers share a slot;
// those who agreed to be asked are one hash (a chat each).
const (
	keyConsultNext    = "minyi:{consult}:next"
	keyConsultItems   = "minyi:{consult}:items"    // id → JSON
	keyConsultInvited = "minyi:{consult}:invited:" // + id: the chats invited (each once)
	keyConsultAnswers = "minyi:{consult}:answers:" // + id: chat → the chat's answers, JSON
	keySubscribers    = "minyi:subscribers"        // chat → Subscriber JSON
)

// Subscriber is a resident who agreed to be asked: their chat, their
// community if they gave one, their language, since when.
type Subscriber struct {
	Chat      int64     `json:"chat"`
	Community string    `json:"community,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	Since     time.Time `json:"since"`
}

// Subscribe records a chat's agreement (again: its community and language updated).
func (s *Store) Subscribe(ctx context.Context, sub Subscriber) error {
	b, _ := json.Marshal(sub)
	if err := s.rdb.HSet(ctx, keySubscribers, strconv.FormatInt(sub.Chat, 10), b).Err(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// Unsubscribe forgets a chat's agreement; it reports whether there was one.
func (s *Store) Unsubscribe(ctx context.Context, chat int64) (bool, error) {
	n, err := s.rdb.HDel(ctx, keySubscribers, strconv.FormatInt(chat, 10)).Result()
	if err != nil {
		return false, fmt.Errorf("unsubscribe: %w", err)
	}
	return n == 1, nil
}

// Subscribed reads one chat's agreement.
func (s *Store) Subscribed(ctx context.Context, chat int64) (Subscriber, bool, error) {
	b, err := s.rdb.HGet(ctx, keySubscribers, strconv.FormatInt(chat, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Subscriber{}, false, nil
	}
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribed: %w", err)
	}
	var sub Subscriber
	if err := json.Unmarshal(b, &sub); err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribed: %w", err)
	}
	return sub, true, nil
}

// Subscribers lists everyone who agreed to be asked, by chat.
func (s *Store) Subscribers(ctx context.Context) ([]Subscriber, error) {
	all, err := s.rdb.HVals(ctx, keySubscribers).Result()
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	out := make([]Subscriber, 0, len(all))
	for _, raw := range all {
		var sub Subscriber
		if err := json.Unmarshal([]byte(raw), &sub); err != nil {
			return nil, fmt.Errorf("subscribers: %w", err)
		}
		out = append(out, sub)
	}
	slices.SortFunc(out, func(a, b Subscriber) int { return cmp.Compare(a.Chat, b.Chat) })
	return out, nil
}

// CreateConsult stores a new consultation, giving it its id.
func (s *Store) CreateConsult(ctx context.Context, c *consult.Consultation) error {
	id, err := s.rdb.Incr(ctx, keyConsultNext).Result()
	if err != nil {
		return fmt.Errorf("new consultation: %w", err)
	}
	c.ID = id
	return s.SaveConsult(ctx, c)
}

// SaveConsult writes a consultation as it now stands.
func (s *Store) SaveConsult(ctx context.Context, c *consult.Consultation) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("consultation %d: %w", c.ID, err)
	}
	if err := s.rdb.HSet(ctx, keyConsultItems, strconv.FormatInt(c.ID, 10), b).Err(); err != nil {
		return fmt.Errorf("consultation %d: %w", c.ID, err)
	}
	return nil
}

// Consult reads one consultation.
func (s *Store) Consult(ctx context.Context, id int64) (*consult.Consultation, error) {
	raw, err := s.rdb.HGet(ctx, keyConsultItems, strconv.FormatInt(id, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("consultation %d: %w", id, err)
	}
	var c consult.Consultation
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("consultation %d: %w", id, err)
	}
	return &c, nil
}

// Consults lists the consultations, newest first.
func (s *Store) Consults(ctx context.Context) ([]*consult.Consultation, error) {
	all, err := s.rdb.HVals(ctx, keyConsultItems).Result()
	if err != nil {
		return nil, fmt.Errorf("consultations: %w", err)
	}
	var out []*consult.Consultation
	for _, raw := range all {
		var c consult.Consultation
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("consultations: %w", err)
		}
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *consult.Consultation) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// Invite marks the chats invited to a consultation and returns those not
// invited before: nobody gets the invitation twice, however often it is sent.
func (s *Store) Invite(ctx context.Context, id int64, chats []int64) ([]int64, error) {
	key := keyConsultInvited + strconv.FormatInt(id, 10)
	cmds := make([]*redis.IntCmd, len(chats))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			cmds[i] = p.SAdd(ctx, key, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	var fresh []int64
	for i, c := range cmds {
		if c.Val() == 1 {
			fresh = append(fresh, chats[i])
		}
	}
	return fresh, nil
}

// Invited reports whether a chat was invited to a consultation.
func (s *Store) Invited(ctx context.Context, id, chat int64) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, keyConsultInvited+strconv.FormatInt(id, 10), chat).Result()
	if err != nil {
		return false, fmt.Errorf("invited: %w", err)
	}
	return ok, nil
}

// UpdateAnswer changes a chat's answers to a consultation with fn. A chat's
// updates are handled one after another, in order, on whichever instance
// holds the chat, so its answers have one writer at a time and need no
// watching; watching the consultation's one hash would make every other
// participant's answer a conflict.
func (s *Store) UpdateAnswer(ctx context.Context, id, chat int64, fn func(*consult.Answer) error) (*consult.Answer, error) {
	key, field := keyConsultAnswers+strconv.FormatInt(id, 10), strconv.FormatInt(chat, 10)
	a := &consult.Answer{Chat: chat}
	raw, err := s.rdb.HGet(ctx, key, field).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return nil, fmt.Errorf("answer: %w", err)
	default:
		if err := json.Unmarshal(raw, a); err != nil {
			return nil, fmt.Errorf("answer: %w", err)
		}
	}
	if err := fn(a); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(a)
	if err := s.rdb.HSet(ctx, key, field, b).Err(); err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	return a, nil
}

// Answers reads every participant's answers to a consultation.
func (s *Store) Answers(ctx context.Context, id int64) ([]consult.Answer, error) {
	all, err := s.rdb.HVals(ctx, keyConsultAnswers+strconv.FormatInt(id, 10)).Result()
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	out := make([]consult.Answer, 0, len(all))
	for _, raw := range all {
		var a consult.Answer
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("answers: %w", err)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b consult.Answer) int { return cmp.Compare(a.Chat, b.Chat) })
	return out, nil
}
