package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
)

// secrets manages the key that seals stored secrets: `secrets generate` prints a new key;
// `secrets rotate` seals every stored secret under a new current key.
func secrets(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	const usage = "usage: tenure secrets generate | secrets rotate"
	if len(args) == 0 {
		return fmt.Errorf(usage)
	}
	switch args[0] {
	case "generate":
		fmt.Fprintln(stdout, secret.Generate())
		return nil
	case "rotate":
		return rotateSecrets(ctx, args[1:], stdout, stderr, getenv)
	}
	return fmt.Errorf("%s (unknown subcommand %q)", usage, args[0])
}

// rotateSecrets re-seals every stored secret under a new key (see app.RotateSecretKey).
func rotateSecrets(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, _, err := config.Load("tenure secrets rotate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	r, err := app.RotateSecretKey(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	if r.File == "" {
		fmt.Fprintf(stdout, "%d stored secrets sealed under key %s (the first of TENURE_SECRET_KEY); the other keys can now be removed\n", r.Sealed, r.KeyID)
		return nil
	}
	fmt.Fprintf(stdout, "%d stored secrets sealed under the new key %s in %s\n", r.Sealed, r.KeyID, r.File)
	return nil
}
