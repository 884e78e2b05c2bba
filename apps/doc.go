// Package apps owns latent's applications on real data and the baselines and
// measurements that judge them: a PCA baseline (a Householder-QL eigendecomposition of
// the covariance), reconstruction MSE, PSNR, ROC-AUC, code compression
// (float32/float16), the
// Fashion-MNIST loaders (images and labels) and the PNG plots every training
// run and application produces (loss curves, image grids, 2-D code
// scatters, ROC curves) drawn with the in-house apps/pngplot package
// (standard library image/png and a bitmap font, so the static edge binary
// stays small).
//
// The functions here take plain []float32 rows (row-major, N×D) so that they
// work equally on the trainer's outputs and on an ONNX session's outputs;
// tools/latent's demo command is thin glue around them. The recommender
// (ratings, its baselines and measurements) is apps/recommend.
package apps
