package classify

import (
	_ "embed"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed taxonomy.yaml
var defaultTaxonomy []byte

// Taxonomy is the set of sectors, topics (一级) and subtopics (二级) concerns are tagged with.
type Taxonomy struct {
	Sectors []string
	Topics  []Topic
	byName  map[string]*Topic
}

// Topic is a first-level class with its sector and subtopics.
type Topic struct {
	Name      string
	Sector    string
	Subtopics []string
	// Overrides gives subtopics that belong to another sector.
	Overrides map[string]string
}

// DefaultTaxonomy parses the embedded taxonomy.
func DefaultTaxonomy() (*Taxonomy, error) {
	return ParseTaxonomy(defaultTaxonomy, "taxonomy.yaml")
}

type taxonomyFile struct {
	Sectors []string    `yaml:"sectors"`
	Topics  []topicYAML `yaml:"topics"`
}

type topicYAML struct {
	Name      string            `yaml:"name"`
	Sector    string            `yaml:"sector"`
	Subtopics []string          `yaml:"subtopics"`
	Overrides map[string]string `yaml:"sector_overrides"`
	line      int
}

func (t *topicYAML) UnmarshalYAML(n *yaml.Node) error {
	type plain topicYAML
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = topicYAML(p)
	t.line = n.Line
	return nil
}

// ParseTaxonomy reads a taxonomy file; name is used in messages. A malformed file, a
// topic without a sector or with an unknown one, and duplicated names are refused,
// each with the line where it is.
func ParseTaxonomy(raw []byte, name string) (*Taxonomy, error) {
	var f taxonomyFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	if len(f.Sectors) == 0 {
		errs = append(errs, fmt.Errorf("%s: no sectors", name))
	}
	if len(f.Topics) == 0 {
		errs = append(errs, fmt.Errorf("%s: no topics", name))
	}
	sectors := map[string]bool{}
	for _, s := range f.Sectors {
		if s == "" || sectors[s] {
			errs = append(errs, fmt.Errorf("%s: sector %q is empty or listed twice", name, s))
		}
		sectors[s] = true
	}
	t := &Taxonomy{Sectors: f.Sectors, byName: map[string]*Topic{}}
	for _, ty := range f.Topics {
		switch {
		case ty.Name == "":
			bad(ty.line, "a topic has no name")
			continue
		case t.byName[ty.Name] != nil:
			bad(ty.line, "topic %q is listed twice", ty.Name)
			continue
		case ty.Sector == "":
			bad(ty.line, "topic %q has no sector", ty.Name)
		case !sectors[ty.Sector]:
			bad(ty.line, "topic %q names sector %q, which is not among the sectors", ty.Name, ty.Sector)
		}
		subs := map[string]bool{}
		for _, s := range ty.Subtopics {
			if s == "" || subs[s] {
				bad(ty.line, "topic %q lists subtopic %q twice (or an empty one)", ty.Name, s)
			}
			subs[s] = true
		}
		for sub, sec := range ty.Overrides {
			if !subs[sub] {
				bad(ty.line, "topic %q overrides the sector of %q, which is not one of its subtopics", ty.Name, sub)
			}
			if !sectors[sec] {
				bad(ty.line, "topic %q gives %q the unknown sector %q", ty.Name, sub, sec)
			}
		}
		t.Topics = append(t.Topics, Topic{Name: ty.Name, Sector: ty.Sector, Subtopics: ty.Subtopics, Overrides: ty.Overrides})
		t.byName[ty.Name] = &t.Topics[len(t.Topics)-1]
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// the map was filled while the slice grew; point it at the final elements
	for i := range t.Topics {
		t.byName[t.Topics[i].Name] = &t.Topics[i]
	}
	return t, nil
}

// Topic looks a topic up by name.
func (t *Taxonomy) Topic(name string) (*Topic, bool) {
	tp, ok := t.byName[name]
	return tp, ok
}

// TopicNames lists the topics in order.
func (t *Taxonomy) TopicNames() []string {
	names := make([]string, len(t.Topics))
	for i, tp := range t.Topics {
		names[i] = tp.Name
	}
	return names
}

// SectorOf gives the sector of a topic, or of its subtopic when that is overridden.
func (t *Taxonomy) SectorOf(topic, subtopic string) string {
	tp, ok := t.byName[topic]
	if !ok {
		return ""
	}
	if s, ok := tp.Overrides[subtopic]; ok {
		return s
	}
	return tp.Sector
}

// HasSubtopic reports whether subtopic belongs to topic.
func (tp *Topic) HasSubtopic(subtopic string) bool {
	for _, s := range tp.Subtopics {
		if s == subtopic {
			return true
		}
	}
	return false
}
