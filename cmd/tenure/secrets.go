package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/storage"
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

// rotateSecrets re-seals every stored secret under a new key. With TENURE_SECRET_KEY the
// operator supplies the new key first ("NEW,OLD"); the command seals everything under NEW,
// after which OLD can be dropped from the variable. With an SQLite key file, the command
// makes the new key itself: it writes the file as "NEW, OLD" first, re-seals, then drops
// OLD, so an interruption at any point leaves a file that opens every stored secret.
// Processes serving the database keep the keys they started with: stop them first.
func rotateSecrets(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, _, err := config.Load("tenure secrets rotate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, tenure.SystemClock{}, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if cfg.SecretKey != "" {
		ring, err := secret.Parse(cfg.SecretKey)
		if err != nil {
			return fmt.Errorf("TENURE_SECRET_KEY: %w", err)
		}
		db.SetKeyring(ring)
		n, err := db.ResealSecrets(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d stored secrets sealed under key %s (the first of TENURE_SECRET_KEY); the other keys can now be removed\n", n, ring.ID())
		return nil
	}
	file := db.KeyFile()
	if file == "" {
		return fmt.Errorf("TENURE_SECRET_KEY is not set: with PostgreSQL, set it to \"NEW,OLD\" (make NEW with `tenure secrets generate`) and run this again")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("the key file: %w (was the database ever started?)", err)
	}
	old := strings.Fields(string(raw))
	next := secret.Generate()
	if err := secret.WriteFile(file, append([]string{next}, old...)...); err != nil {
		return err
	}
	ring, err := secret.LoadFile(file)
	if err != nil {
		return err
	}
	db.SetKeyring(ring)
	n, err := db.ResealSecrets(ctx)
	if err != nil {
		return fmt.Errorf("%w (the key file keeps the old key beside the new one; run the command again)", err)
	}
	if err := secret.WriteFile(file, next); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d stored secrets sealed under the new key %s in %s\n", n, ring.ID(), file)
	return nil
}
