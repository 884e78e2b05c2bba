#!/usr/bin/env bash
# build-image.sh builds latent's OCI image from deploy/Containerfile: the
# static edge binary (CGO_ENABLED=0, -tags grpcnotrace,nethttpomithttp2, as the README
# documents) on an empty base, non-root. No base image is pulled and no
# command runs inside the build, so it works offline.
#
#   bash deploy/build-image.sh                      # tags localhost/latent:dev
#   bash deploy/build-image.sh -t latent:1.0 --arch arm64 --oci-archive latent.tar
#
# The builder is buildah (Debian's `buildah`), else podman or docker. Layer
# and image timestamps are pinned (--timestamp 0 / SOURCE_DATE_EPOCH), so the
# same source gives the same image digest. Extra buildah/podman storage
# options (--root, --storage-driver) can be given in $LATENT_BUILDAH_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=localhost/latent:dev
arch=$(go env GOARCH)
archive=
while [ $# -gt 0 ]; do
	case "$1" in
	-t | --tag) tag=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--oci-archive) archive=$2; shift 2 ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "build-image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
bash tools/build-edge.sh "$ctx/latent" "$arch"
cp deploy/Containerfile "$ctx/Containerfile"

# shellcheck disable=SC2206
extra=(${LATENT_BUILDAH_FLAGS:-})
if command -v buildah >/dev/null; then
	buildah "${extra[@]}" bud --isolation chroot --timestamp 0 --arch "$arch" --os linux \
		-f "$ctx/Containerfile" -t "$tag" "$ctx" >&2
	[ -z "$archive" ] || buildah "${extra[@]}" push "$tag" "oci-archive:$archive" >&2
elif command -v podman >/dev/null; then
	podman "${extra[@]}" build --timestamp 0 --arch "$arch" --os linux -f "$ctx/Containerfile" -t "$tag" "$ctx" >&2
	[ -z "$archive" ] || podman "${extra[@]}" save --format oci-archive -o "$archive" "$tag" >&2
elif command -v docker >/dev/null; then
	SOURCE_DATE_EPOCH=0 docker build --platform "linux/$arch" -f "$ctx/Containerfile" -t "$tag" "$ctx" >&2
	[ -z "$archive" ] || docker save -o "$archive" "$tag" >&2
else
	echo "build-image.sh: no image builder: install buildah (apt-get install buildah), podman or docker" >&2
	exit 1
fi
echo "$tag"
