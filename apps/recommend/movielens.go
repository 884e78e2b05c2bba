package recommend

import (
	"fmt"
	"os"
	"path/filepath"
)

// MovieLensEnv overrides where tools/fetch-movielens.sh puts MovieLens-100k
// and where MovieLensDir looks for it.
const MovieLensEnv = "LATENT_MOVIELENS"

// FetchCommand is the command that downloads MovieLens-100k and rebuilds
// its folds.
const FetchCommand = "bash tools/fetch-movielens.sh"

// MovieLensDir returns the folder tools/fetch-movielens.sh writes:
// $LATENT_MOVIELENS, else $XDG_CACHE_HOME/latent/data/ml-100k, else
// ~/.cache/latent/data/ml-100k.
func MovieLensDir() string {
	if d := os.Getenv(MovieLensEnv); d != "" {
		return d
	}
	root := os.Getenv("XDG_CACHE_HOME")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return filepath.Join(".cache", "latent", "data", "ml-100k")
		}
		root = filepath.Join(home, ".cache")
	}
	return filepath.Join(root, "latent", "data", "ml-100k")
}

// MovieLensFold returns the base and test files of GroupLens' fold i
// (1..5) in dir, with an error naming the fetch command when they are
// missing.
func MovieLensFold(dir string, i int) (base, test string, err error) {
	if i < 1 || i > 5 {
		return "", "", fmt.Errorf("movielens-100k has folds 1 to 5, not %d", i)
	}
	base = filepath.Join(dir, fmt.Sprintf("u%d.base", i))
	test = filepath.Join(dir, fmt.Sprintf("u%d.test", i))
	for _, p := range []string{base, test} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("movielens-100k fold %d: %w (fetch it with: %s)", i, err, FetchCommand)
		}
	}
	return base, test, nil
}
