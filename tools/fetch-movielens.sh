#!/usr/bin/env bash
# fetch-movielens.sh puts MovieLens-100k (GroupLens, 100 000 ratings of
# 1 682 movies by 943 users) into a cache outside the repository and prints
# the folder:
#
#   ${LATENT_MOVIELENS:-${XDG_CACHE_HOME:-$HOME/.cache}/latent/data/ml-100k}
#
# GroupLens' licence forbids redistributing the data, so it is never
# committed. It comes from the PyPI wheel recbole==1.2.1, which ships
# recbole/dataset_example/ml-100k/ml-100k.{inter,item,user}; the .inter rows
# are GroupLens' u.data line for line, in the same order, under one header
# line. From that order the five official cross-validation folds are rebuilt
# exactly as GroupLens' mku.sh builds them: u{i}.test is lines
# 20000*(i-1)+1 .. 20000*i of u.data, u{i}.base the other 80 000, each
# sorted numerically by user, then item.
#
# Written: ml-100k.inter, ml-100k.item, ml-100k.user (as shipped), u.data,
# u1.base .. u5.test. Every file is checked against the sha256 pinned below
# (u2..u5 match GroupLens' published folds byte for byte). Idempotent: when
# every file is present with its checksum nothing is downloaded.
set -euo pipefail

WHEEL=recbole-1.2.1-py3-none-any.whl
WHEEL_SHA256=9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407
SUMS='4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff  ml-100k.inter
51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532  ml-100k.item
4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972  ml-100k.user
06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490  u.data
ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a  u1.base
18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950  u1.test
6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e  u2.base
4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3  u2.test
afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d  u3.base
0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d  u3.test
219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca  u4.base
7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9  u4.test
a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485  u5.base
351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634  u5.test'

die() {
	echo "fetch-movielens: $*" >&2
	exit 1
}

dest="${LATENT_MOVIELENS:-${XDG_CACHE_HOME:-$HOME/.cache}/latent/data/ml-100k}"

if [ -d "$dest" ] && (cd "$dest" && echo "$SUMS" | sha256sum --check --status 2>/dev/null); then
	echo "$dest"
	exit 0
fi

py="${LATENT_BASE_PYTHON:-python3}"
if ! "$py" -m pip --version >/dev/null 2>&1; then
	# A Debian python3 without pip: the project's venv has one.
	py="$(bash "$(dirname "$0")/python/venv.sh")"
fi

mkdir -p "$dest"
tmp="$(mktemp -d "$dest/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-movielens: downloading ${WHEEL} from PyPI for MovieLens-100k" >&2
"$py" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" recbole==1.2.1 >&2 ||
	die "pip download recbole==1.2.1 failed"
[ -f "$tmp/$WHEEL" ] || die "pip download did not produce $WHEEL"
got="$(sha256sum "$tmp/$WHEEL" | cut -d' ' -f1)"
[ "$got" = "$WHEEL_SHA256" ] || die "checksum mismatch for $WHEEL: want $WHEEL_SHA256, got $got"

# A wheel is a zip file; Python's zipfile needs no unzip binary.
"$py" - "$tmp/$WHEEL" "$tmp" <<'EOF' || die "extracting ml-100k from $WHEEL failed"
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("ml-100k.inter", "ml-100k.item", "ml-100k.user"):
        with open(os.path.join(out, name), "wb") as f:
            f.write(z.read("recbole/dataset_example/ml-100k/" + name))
EOF

(
	cd "$tmp"
	[ "$(head -n 1 ml-100k.inter)" = $'user_id:token\titem_id:token\trating:float\ttimestamp:float' ] ||
		die "ml-100k.inter does not start with the expected header"
	tail -n +2 ml-100k.inter >u.data
	# GroupLens' mku.sh, fold by fold.
	for i in 1 2 3 4 5; do
		head -n $((i * 20000)) u.data | tail -n 20000 | LC_ALL=C sort -t $'\t' -k 1,1n -k 2,2n >"u$i.test"
		{
			head -n $(((i - 1) * 20000)) u.data
			tail -n $(((5 - i) * 20000)) u.data
		} | LC_ALL=C sort -t $'\t' -k 1,1n -k 2,2n >"u$i.base"
	done
	echo "$SUMS" | sha256sum --check --quiet
) || die "a rebuilt file does not match its pinned sha256"

# Each file is renamed into place atomically.
echo "$SUMS" | while read -r _ name; do
	mv -f "$tmp/$name" "$dest/$name"
done
echo "$dest"
