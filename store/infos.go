package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/info"
)

// 社情民意信息 live in one hash slot, so that an item, its links and the year's
// issue numbers change together (a few hundred items a year).
const (
	keyInfoNext      = "minyi:{info}:next"    // the last id given
	keyInfoItems     = "minyi:{info}:items"   // id → the item's JSON
	keyInfoByConcern = "minyi:{info}:concern" // concern id → ids of the items it is linked to, comma-separated
	keyInfoByGroup   = "minyi:{info}:group"   // DAY#N → ids of the items made from that group
	keyInfoIssue     = "minyi:{info}:issue:"  // + year: the last issue number given that year
)

// ErrInfoConflict is an item changed by someone else all along: try again.
var ErrInfoConflict = errors.New("store: the 信息 kept changing; try again")

// CreateInfo stores a new item, giving it its id, and links it to its concerns and group.
func (s *Store) CreateInfo(ctx context.Context, it *info.Item) error {
	id, err := s.rdb.Incr(ctx, keyInfoNext).Result()
	if err != nil {
		return fmt.Errorf("new 信息: %w", err)
	}
	it.ID = id
	// watched as every change of an item is: every write of an item and its
	// links writes the items hash, so two at once cannot both write a link list
	for range 20 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error { return s.updateInfo(ctx, tx, it) }, keyInfoItems)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return ErrInfoConflict
}

// Info reads one item.
func (s *Store) Info(ctx context.Context, id int64) (*info.Item, error) {
	raw, err := s.rdb.HGet(ctx, keyInfoItems, strconv.FormatInt(id, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("信息 %d: %w", id, err)
	}
	var it info.Item
	if err := json.Unmarshal([]byte(raw), &it); err != nil {
		return nil, fmt.Errorf("信息 %d: %w", id, err)
	}
	return &it, nil
}

// UpdateInfo changes an item with fn, atomically; an item that becomes signed
// without a number gets the next issue number of its year.
func (s *Store) UpdateInfo(ctx context.Context, id int64, fn func(*info.Item) error) (*info.Item, error) {
	for range 20 {
		var out *info.Item
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.HGet(ctx, keyInfoItems, strconv.FormatInt(id, 10)).Result()
			if errors.Is(err, redis.Nil) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			var before, it info.Item
			if err := json.Unmarshal([]byte(raw), &before); err != nil {
				return err
			}
			_ = json.Unmarshal([]byte(raw), &it)
			if err := fn(&it); err != nil {
				return err
			}
			out = &it
			return s.updateInfo(ctx, tx, &it, &before)
		}, keyInfoItems)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, ErrInfoConflict
}

// updateInfo writes an item (in tx, when given: its keys are watched) with its
// issue number and its links; before is the item as it was.
func (s *Store) updateInfo(ctx context.Context, tx *redis.Tx, it *info.Item, before ...*info.Item) error {
	var c redis.Cmdable = s.rdb
	if tx != nil {
		c = tx
	}
	issueKey := ""
	if it.State == info.Signed && it.Number == 0 {
		issueKey = keyInfoIssue + strconv.Itoa(it.Year)
		if tx != nil {
			if err := tx.Watch(ctx, issueKey).Err(); err != nil {
				return err
			}
		}
		last, err := c.Get(ctx, issueKey).Int()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		it.Number = last + 1
	}
	links := map[string]map[string]string{keyInfoByConcern: {}, keyInfoByGroup: {}}
	id := strconv.FormatInt(it.ID, 10)
	wanted := func(key, field string) {
		links[key][field] = ""
	}
	for _, c := range it.Concerns {
		wanted(keyInfoByConcern, c)
	}
	if it.Group != "" {
		wanted(keyInfoByGroup, it.Group)
	}
	if len(before) > 0 && before[0] != nil {
		for _, c := range before[0].Concerns {
			if !slices.Contains(it.Concerns, c) {
				links[keyInfoByConcern][c] = "drop"
			}
		}
	}
	for key, fields := range links {
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		if len(names) == 0 {
			continue
		}
		have, err := c.HMGet(ctx, key, names...).Result()
		if err != nil {
			return err
		}
		for i, f := range names {
			cur, _ := have[i].(string)
			ids := splitIDs(cur)
			if fields[f] == "drop" {
				ids = slices.DeleteFunc(ids, func(s string) bool { return s == id })
			} else if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			fields[f] = strings.Join(ids, ",")
		}
	}
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	write := func(p redis.Pipeliner) error {
		p.HSet(ctx, keyInfoItems, id, b)
		if issueKey != "" {
			p.Set(ctx, issueKey, it.Number, 0)
		}
		for key, fields := range links {
			for f, v := range fields {
				if v == "" {
					p.HDel(ctx, key, f)
				} else {
					p.HSet(ctx, key, f, v)
				}
			}
		}
		return nil
	}
	if tx != nil {
		_, err = tx.TxPipelined(ctx, write)
	} else {
		_, err = s.rdb.TxPipelined(ctx, write)
	}
	if err != nil {
		return fmt.Errorf("信息 %d: %w", it.ID, err)
	}
	return nil
}

func splitIDs(s string) []string {
	return slices.DeleteFunc(strings.Split(s, ","), func(id string) bool { return id == "" })
}

// Infos lists every item, newest first.
func (s *Store) Infos(ctx context.Context) ([]*info.Item, error) {
	all, err := s.rdb.HVals(ctx, keyInfoItems).Result()
	if err != nil {
		return nil, fmt.Errorf("信息: %w", err)
	}
	out := make([]*info.Item, 0, len(all))
	for _, raw := range all {
		var it info.Item
		if json.Unmarshal([]byte(raw), &it) == nil {
			out = append(out, &it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// InfosOf gives, for each concern id, the ids of the items it is linked to.
func (s *Store) InfosOf(ctx context.Context, concerns []string) (map[string][]int64, error) {
	return s.infoLinks(ctx, keyInfoByConcern, concerns)
}

// InfosOfGroups gives, for each group (DAY#N), the ids of the items made from it.
func (s *Store) InfosOfGroups(ctx context.Context, groups []string) (map[string][]int64, error) {
	return s.infoLinks(ctx, keyInfoByGroup, groups)
}

func (s *Store) infoLinks(ctx context.Context, key string, fields []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(fields) == 0 {
		return out, nil
	}
	have, err := s.rdb.HMGet(ctx, key, fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("信息 links: %w", err)
	}
	for i, f := range fields {
		cur, _ := have[i].(string)
		for _, id := range splitIDs(cur) {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				out[f] = append(out[f], n)
			}
		}
	}
	return out, nil
}

// Reported says, of each concern named, the 信息 it went into: the first sent
// (报送 or later) and, for those in none sent, the first drafted (草稿 to 已签发).
func (s *Store) Reported(ctx context.Context, concerns []string) (sent, drafted map[string]int64, err error) {
	links, err := s.InfosOf(ctx, concerns)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, its := range links {
		for _, id := range its {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
	}
	sent, drafted = map[string]int64{}, map[string]int64{}
	if len(ids) == 0 {
		return sent, drafted, nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	raw, err := s.rdb.HMGet(ctx, keyInfoItems, ids...).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("信息: %w", err)
	}
	state := map[int64]info.State{}
	for _, v := range raw {
		var it info.Item
		if b, ok := v.(string); ok && json.Unmarshal([]byte(b), &it) == nil {
			state[it.ID] = it.State
		}
	}
	for c, its := range links {
		for _, id := range its {
			switch state[id] {
			case "":
			case info.Draft, info.Review, info.Signed:
				if drafted[c] == 0 {
					drafted[c] = id
				}
			default:
				if sent[c] == 0 {
					sent[c] = id
				}
			}
		}
		if sent[c] != 0 {
			delete(drafted, c)
		}
	}
	return sent, drafted, nil
}

// keyInfoRequest + a request's id: the item that request made, for a day.
const keyInfoRequest = "minyi:{info}:req:"

// InfoOfRequest is the item a request made, if it made one.
func (s *Store) InfoOfRequest(ctx context.Context, request string) (int64, bool, error) {
	v, err := s.rdb.Get(ctx, keyInfoRequest+request).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("信息 request: %w", err)
	}
	return v, true, nil
}

// SetInfoOfRequest remembers the item a request made.
func (s *Store) SetInfoOfRequest(ctx context.Context, request string, id int64) error {
	if err := s.rdb.Set(ctx, keyInfoRequest+request, id, 24*time.Hour).Err(); err != nil {
		return fmt.Errorf("信息 request: %w", err)
	}
	return nil
}
