package main

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/firestore"
)

// The listener list of --listen: a Snapshots() listener on an allowed query
// receives its first snapshot and a change; with --expect-denied, one on a
// query tests/e2e/policy.yaml denies the orders workload ends with
// codes.PermissionDenied from Next(); the allowed listener then still
// receives changes.

// nextWithin is Next() bounded by ctx (Next waits for the stream's own
// context only).
func nextWithin(ctx context.Context, it *firestore.QuerySnapshotIterator) (*firestore.QuerySnapshot, error) {
	type answer struct {
		snap *firestore.QuerySnapshot
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		snap, err := it.Next()
		done <- answer{snap, err}
	}()
	select {
	case a := <-done:
		return a.snap, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitForSize reads snapshots until one holds n documents.
func waitForSize(ctx context.Context, it *firestore.QuerySnapshotIterator, n int) error {
	for {
		snap, err := nextWithin(ctx, it)
		if err != nil {
			return err
		}
		if snap.Size == n {
			return nil
		}
	}
}

func listenOperations(db *firestore.Client, run string, expectDenied bool, streams context.Context) []operation {
	var live *firestore.QuerySnapshotIterator
	write := func(ctx context.Context, id string) error {
		_, err := db.Doc("orders/"+run+"-"+id).Set(ctx, map[string]any{"run": run})
		return err
	}
	ops := []operation{
		{"listen-query", func(ctx context.Context) error {
			if err := write(ctx, "l1"); err != nil {
				return err
			}
			live = db.Collection("orders").Where("run", "==", run).Snapshots(streams)
			if err := waitForSize(ctx, live, 1); err != nil {
				return err
			}
			if err := write(ctx, "l2"); err != nil {
				return err
			}
			return waitForSize(ctx, live, 2)
		}},
	}
	if expectDenied {
		ops = append(ops, operation{"denied-listen", func(ctx context.Context) error {
			it := db.Collection("secrets").Where("run", "==", run).Snapshots(streams)
			defer it.Stop()
			snap, err := nextWithin(ctx, it)
			if err == nil {
				return check(false, "a snapshot of %d documents", snap.Size)
			}
			return err
		}})
	}
	return append(ops, operation{"listen-after-denial", func(ctx context.Context) error {
		if live == nil {
			return errors.New("no live listener")
		}
		defer live.Stop()
		if err := write(ctx, "l3"); err != nil {
			return err
		}
		return waitForSize(ctx, live, 3)
	}})
}

// runListen runs the listener list and returns the exit status.
func runListen(db *firestore.Client, o options) int {
	streams, cancel := context.WithCancel(context.Background())
	defer cancel()
	surprises := 0
	for _, op := range listenOperations(db, o.run, o.expectDenied, streams) {
		expect := "ok"
		if op.name == "denied-listen" {
			expect = "denied"
		}
		if !runOne(op, expect, o.pause) {
			surprises++
		}
	}
	fmt.Printf("{\"sdk\":\"go\",\"run\":%q,\"surprises\":%d}\n", o.run, surprises)
	if surprises > 0 {
		return 1
	}
	return 0
}
