// Stands in for go.pinniped.dev when building Harbor core: the Go module proxy refuses go.pinniped.dev, and
// core imports only its pkce package (OIDC login, which the local stack does not use). build.ts points
// Harbor's go.mod at this directory with `go mod edit -replace go.pinniped.dev=<here>`.
module go.pinniped.dev

go 1.23

require golang.org/x/oauth2 v0.36.0
