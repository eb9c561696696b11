// stack-htpasswd writes one htpasswd line (user:bcrypt-hash) for the registry behind Harbor core, as Harbor's
// own registry config does (auth.htpasswd). The password is read from stdin so it never appears in argv.
// build.ts compiles it inside Harbor's module, which already requires golang.org/x/crypto.
//
//	stack-htpasswd USER < password > htpasswd
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" {
		fmt.Fprintln(os.Stderr, "usage: stack-htpasswd USER < password")
		os.Exit(2)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(os.Stderr, "stack-htpasswd: no password on stdin")
		os.Exit(2)
	}
	password := strings.TrimRight(line, "\r\n")
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintf(os.Stderr, "stack-htpasswd: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], hash)
}
