// Package pkce is the part of go.pinniped.dev/pkg/oidcclient/pkce that Harbor core uses: RFC 7636 Proof Key
// for Code Exchange with the S256 method. Same API as Pinniped's package (Apache-2.0), written from the RFC.
package pkce

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"golang.org/x/oauth2"
)

// Code is a PKCE code verifier.
type Code string

// Generate returns a new random verifier (32 random bytes, hex encoded: 64 characters of the RFC's alphabet).
func Generate() (Code, error) {
	var buf [32]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("could not generate PKCE code: %w", err)
	}
	return Code(hex.EncodeToString(buf[:])), nil
}

// Challenge is the S256 challenge of the verifier, as an authorization request parameter.
func (p Code) Challenge() oauth2.AuthCodeOption {
	sum := sha256.Sum256([]byte(p))
	return oauth2.SetAuthURLParam("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
}

// Method names the challenge method.
func (p Code) Method() oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("code_challenge_method", "S256")
}

// Verifier is the verifier itself, sent with the token exchange.
func (p Code) Verifier() oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("code_verifier", string(p))
}
