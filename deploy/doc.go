// Package deploy holds latent's deployment files: the OCI image definition
// of the static binary (Containerfile, built by build-image.sh) and the
// KServe manifests (kserve/). It has no Go API; its tests validate the
// manifests against the CRD schemas KServe publishes and, when
// tools/test.d/deploy.sh has built the image, run it. See docs/deploy.md.
package deploy
