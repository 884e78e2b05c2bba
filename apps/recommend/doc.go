// Package recommend owns latent's rating-prediction application: a split of
// a ratings file into base (training) and test ratings, the autoencoder
// recommender trained on it (user-based or item-based, as AutoRec), the
// baselines it is judged against (global mean, item mean, user+item bias,
// biased matrix factorisation, popularity), the measurements (RMSE over all
// test ratings with predictions clipped to the rating scale, the mean of
// per-user RMSEs, precision, recall and NDCG at N over held-out ratings of 4
// and above), top-N recommendations for one user, and where MovieLens-100k
// lives once tools/fetch-movielens.sh has put it in the cache.
//
// Every model is judged on the same footing: fitted on the same ratings,
// evaluated on every test rating (a test rating whose user or item the
// base file does not know is predicted by the bias model for all of them),
// and ranked over the same candidates (the items of the base file the user
// has not rated).
package recommend
