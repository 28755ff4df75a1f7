module zerops-cache/go-match

go 1.19
