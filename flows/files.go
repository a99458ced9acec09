package flows

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// LoadDir reads every *.yaml in dir as a flow definition, each checked, each
// mistake reported at dir/FILE:LINE.
func LoadDir(dir string) ([]*Definition, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("flows dir: %w", err)
	}
	sort.Strings(names)
	var defs []*Definition
	var errs []error
	ids := map[string]string{}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("flows dir: %w", err)
		}
		d, err := Parse(name, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := ids[d.ID]; dup {
			errs = append(errs, &Problem{File: name, Line: 1, Msg: fmt.Sprintf("flow %q is defined in %s too: one file a flow", d.ID, other)})
			continue
		}
		ids[d.ID] = name
		d.File = name
		defs = append(defs, d)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("flows dir %s holds no *.yaml files", dir)
	}
	return defs, errors.Join(errs...)
}

// Merge adds the flows of files to the built-in ones, a file replacing the
// built-in flow of its id. A replacement must carry a version above the
// built-in's, or the same version with the same steps: a draft started on one
// flow is never carried on by different steps under the same version.
func Merge(builtin, files []*Definition) ([]*Definition, error) {
	out := make([]*Definition, 0, len(builtin)+len(files))
	byID := map[string]int{}
	for _, d := range builtin {
		byID[d.ID] = len(out)
		out = append(out, d)
	}
	var errs []error
	for _, d := range files {
		i, replaces := byID[d.ID]
		if !replaces {
			byID[d.ID] = len(out)
			out = append(out, d)
			continue
		}
		b := out[i]
		switch {
		case d.Version < b.Version:
			errs = append(errs, &Problem{File: d.File, Line: 1, Msg: fmt.Sprintf("flow %q version %d is older than the built-in's (%d): give it version %d or more", d.ID, d.Version, b.Version, b.Version+1)})
		case d.Version == b.Version && d.Hash != b.Hash:
			errs = append(errs, &Problem{File: d.File, Line: 1, Msg: fmt.Sprintf("flow %q changes the built-in flow but keeps its version %d: raise version to %d, so that drafts begun on the old steps are restarted", d.ID, d.Version, d.Version+1)})
		default:
			out[i] = d
		}
	}
	return out, errors.Join(errs...)
}

// Changed is a flow whose steps changed under a version already in use (the
// store remembers each version's content).
func Changed(d *Definition) error {
	where := d.File
	if where == "" {
		where = "built-in flow " + d.ID
	}
	return &Problem{File: where, Line: 1, Msg: fmt.Sprintf("flow %q version %d was used with other steps: raise version to %d, so that drafts begun on the old steps are restarted", d.ID, d.Version, d.Version+1)}
}
