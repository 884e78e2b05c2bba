package recommend

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Titles maps item ids to display names ("Toy Story (1995)").
type Titles map[string]string

// LoadTitles reads item names from a RecBole atomic .item file (a
// tab-separated header of name:type fields with item_id and a title field,
// e.g. movie_title:token_seq, and optionally release_year) or from
// GroupLens' u.item (id|title|release date|…, Latin-1).
func LoadTitles(path string) (Titles, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("item titles: %w", err)
	}
	defer f.Close()
	return ReadTitles(f, path)
}

// ReadTitles is LoadTitles from a reader; name labels errors.
func ReadTitles(r io.Reader, name string) (Titles, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty item file", name)
	}
	first := sc.Text()
	t := Titles{}
	if strings.Contains(first, "|") && !strings.Contains(first, "\t") {
		// GroupLens u.item: id|title|date|url|genre flags.
		line := 0
		for text := first; ; text = sc.Text() {
			line++
			f := strings.Split(text, "|")
			if strings.TrimSpace(text) != "" {
				if len(f) < 2 || f[0] == "" {
					return nil, fmt.Errorf("%s:%d: want id|title|…, got %q", name, line, text)
				}
				t[f[0]] = latin1(f[1])
			}
			if !sc.Scan() {
				break
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
		}
		return t, nil
	}
	cols := strings.Split(first, "\t")
	id, title, year := -1, -1, -1
	for k, c := range cols {
		field, _, _ := strings.Cut(c, ":")
		switch {
		case field == "item_id":
			id = k
		case title < 0 && (field == "title" || strings.HasSuffix(field, "_title") || field == "name"):
			title = k
		case field == "release_year" || field == "year":
			year = k
		}
	}
	if id < 0 || title < 0 {
		return nil, fmt.Errorf("%s: header %q has no item_id and title fields (want a RecBole .item file or GroupLens' u.item)", name, first)
	}
	line := 1
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) <= max(id, title) {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least %d", name, line, len(f), max(id, title)+1)
		}
		s := f[title]
		if year >= 0 && year < len(f) && f[year] != "" {
			s += " (" + f[year] + ")"
		}
		t[f[id]] = s
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return t, nil
}

// latin1 decodes s as Latin-1 unless it is already valid UTF-8.
func latin1(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// TitlesFor finds the item file that goes with a ratings file: the same
// name with the extension .item (RecBole's layout, ml-100k.inter beside
// ml-100k.item), else the only *.item file in its folder, else u.item
// there (GroupLens' layout). It returns "" when there is none.
func TitlesFor(ratingsPath string) string {
	dir := filepath.Dir(ratingsPath)
	same := strings.TrimSuffix(ratingsPath, filepath.Ext(ratingsPath)) + ".item"
	if st, err := os.Stat(same); err == nil && !st.IsDir() {
		return same
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.item")); len(m) == 1 {
		return m[0]
	}
	if st, err := os.Stat(filepath.Join(dir, "u.item")); err == nil && !st.IsDir() {
		return filepath.Join(dir, "u.item")
	}
	return ""
}
