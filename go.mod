module github.com/latent-ml/latent

go 1.26
