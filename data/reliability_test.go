package data

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Files whose headers claim enormous arrays but hold only a few bytes fail
// at once with a clear error, allocating about what the file holds.
func TestHugeClaimsFailFast(t *testing.T) {
	pad := make([]byte, 100)
	idx := func(dims ...uint32) []byte {
		u := make([]uint32, len(dims))
		copy(u, dims)
		return idxFile(0x0E, u, pad)
	}
	npyReader := func(r io.Reader) error { _, err := ReadNPY(r, "hostile.npy", 0); return err }
	idxReader := func(r io.Reader) error { _, err := ReadIDX(r, "hostile.idx", 0); return err }
	for _, c := range []struct {
		name string
		data []byte
		read func(io.Reader) error
		want string
	}{
		{"npy 10^12 elements", npyFile("<f8", "False", "1000000, 1000000", pad), npyReader, "more than 2147483648 elements"},
		{"npy 2^31 elements", npyFile("<f8", "False", "65536, 32768", pad), npyReader, "npy data (65536 samples of [32768]): unexpected EOF"},
		{"npy overflowing shape", npyFile("<f4", "False", "4294967296, 4294967296", pad), npyReader, "out of range"},
		{"npy 10^6 images", npyFile("<f8", "False", "1000000, 1024, 1024", pad), npyReader, "more than 2147483648 elements"},
		{"npy 8 GiB in 100 bytes", npyFile("<f8", "False", "1024, 1024, 1024", pad), npyReader, "npy data (1024 samples of [1024 1024])"},
		{"idx 2^24 images of 4096x1024", idx(1<<24, 4096, 1024), idxReader, "hostile.idx: idx array: shape [16777216 4194304] has more than 2147483648 elements"},
		{"idx 8 GiB of float64 in 100 bytes", idx(1024, 1024, 1024), idxReader, "idx data (1024 samples of [1024 1024]): unexpected EOF"},
		{"idx overflowing sample shape", idx(1, 1<<24, 1<<24, 1<<24), idxReader, "hostile.idx: sample: shape [16777216 16777216 16777216] has more than"},
		{"idx huge samples", idx(1, 1<<14, 1<<14), idxReader, "samples of shape [16384 16384] are implausibly large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := c.read(bytes.NewReader(c.data))
			runtime.ReadMemStats(&after)
			require.ErrorContains(t, err, c.want)
			assert.ErrorContains(t, err, "hostile", "error does not name the input")
			assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "allocated for a %d-byte input", len(c.data))
		})
	}
}

// readExactly returns exactly n bytes when they are there, and what it got
// with io.ErrUnexpectedEOF when they are not, across the chunk boundary.
func TestReadExactly(t *testing.T) {
	src := make([]byte, 3*readChunk+17)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, readChunk, readChunk + 1, 3*readChunk + 17} {
		b, err := readExactly(bytes.NewReader(src), n)
		require.NoError(t, err, "n=%d", n)
		assert.Equal(t, src[:n], b, "n=%d", n)
	}
	b, err := readExactly(bytes.NewReader(src), 5*readChunk)
	assert.Equal(t, io.ErrUnexpectedEOF, err)
	assert.Equal(t, src, b)
}
