// Command grpc-client runs, with the Go Firestore SDK (cloud.google.com/go/firestore,
// gRPC), the operation list every gRPC SDK client of the end-to-end tests runs
// (tests/e2e/node/grpc_sdk.test.js drives them; docs/clients.md shows the
// settings). One JSON line per operation on stdout:
//
//	{"sdk":"go","op":"set","expect":"ok","outcome":"ok","code":0}
//
// and exit status 1 when any outcome is not the expected one.
//
//	go run . --target 127.0.0.1:PORT --project ID [--run ID] [--expect-denied]
//	         [--ca ca.pem --cert svid.pem --key svid.key] [--pause-ms N] [--listen]
//
// --target defaults to $FIRESTORE_EMULATOR_HOST. Without --ca the SDK is pointed
// at the target with FIRESTORE_EMULATOR_HOST (plaintext HTTP/2, as to the emulator
// or a sidecar); with it, option.WithGRPCConn over TLS with the client
// certificate (mtls). --expect-denied adds the operations that
// tests/e2e/policy.yaml denies to spiffe://cluster.local/ns/orders/sa/orders-api,
// each of which must fail with codes.PermissionDenied. --pause-ms waits after
// each result line (tests/e2e/node/capture-grpc.js attributes messages by them).
// --listen runs the real-time listener list instead (listen.go).
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

type options struct {
	target, project, run, ca, cert, key string
	expectDenied, listen                bool
	pause                               time.Duration
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.target, "target", os.Getenv("FIRESTORE_EMULATOR_HOST"), "host:port of the Firestore endpoint")
	flag.StringVar(&o.project, "project", "", "project id")
	flag.StringVar(&o.run, "run", randomRun(), "document id prefix of this run")
	flag.BoolVar(&o.expectDenied, "expect-denied", false, "also run the operations the test policy denies")
	flag.StringVar(&o.ca, "ca", "", "mtls: CA bundle that signed the server certificate")
	flag.StringVar(&o.cert, "cert", "", "mtls: client certificate (X.509-SVID)")
	flag.StringVar(&o.key, "key", "", "mtls: client key")
	flag.BoolVar(&o.listen, "listen", false, "run the listener operations (Snapshots) instead")
	pauseMs := flag.Int("pause-ms", 0, "pause after each result line")
	flag.Parse()
	o.pause = time.Duration(*pauseMs) * time.Millisecond
	if o.target == "" || o.project == "" {
		fail("--target (or FIRESTORE_EMULATOR_HOST) and --project are required")
	}
	if (o.ca == "") != (o.cert == "") || (o.cert == "") != (o.key == "") {
		fail("mtls needs all of --ca, --cert and --key")
	}
	return o
}

func randomRun() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

// newClient: plaintext the way apps reach the emulator or a sidecar; mtls
// with a TLS connection of our own, which also keeps the SDK from looking for
// Google credentials.
func newClient(ctx context.Context, o options) (*firestore.Client, error) {
	if o.ca == "" {
		os.Setenv("FIRESTORE_EMULATOR_HOST", o.target)
		return firestore.NewClient(ctx, o.project)
	}
	os.Unsetenv("FIRESTORE_EMULATOR_HOST")
	pair, err := tls.LoadX509KeyPair(o.cert, o.key)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(o.ca)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", o.ca)
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: roots, MinVersion: tls.VersionTLS12}
	conn, err := grpc.NewClient(o.target, grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)))
	if err != nil {
		return nil, err
	}
	return firestore.NewClient(ctx, o.project, option.WithGRPCConn(conn))
}

type operation struct {
	name string
	run  func(context.Context) error
}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("unexpected result: "+format, args...)
}

func documentIDs(iter interface {
	GetAll() ([]*firestore.DocumentSnapshot, error)
}) ([]string, error) {
	docs, err := iter.GetAll()
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.Ref.Path[strings.Index(d.Ref.Path, "/documents/")+len("/documents/"):])
	}
	return ids, err
}

// operations is the list, in order; every SDK's client runs the same one.
func operations(db *firestore.Client, run string) []operation {
	order := db.Doc("orders/" + run + "-1")
	item := db.Doc("orders/" + run + "-1/items/i1")
	mine := db.Collection("orders").Where("run", "==", run)
	var setTime time.Time
	return []operation{
		{"set", func(ctx context.Context) error {
			result, err := order.Set(ctx, map[string]any{"status": "open", "total": 10, "run": run})
			if err == nil {
				setTime = result.UpdateTime
			}
			return err
		}},
		{"create", func(ctx context.Context) error {
			_, err := item.Create(ctx, map[string]any{"price": 3, "run": run})
			return err
		}},
		{"update-precondition", func(ctx context.Context) error {
			_, err := order.Update(ctx, []firestore.Update{{Path: "status", Value: "paid"}}, firestore.LastUpdateTime(setTime))
			return err
		}},
		{"increment", func(ctx context.Context) error {
			_, err := order.Update(ctx, []firestore.Update{{Path: "total", Value: firestore.Increment(5)}})
			return err
		}},
		{"get", func(ctx context.Context) error {
			snap, err := order.Get(ctx)
			if err != nil {
				return err
			}
			data := snap.Data()
			return check(data["status"] == "paid" && data["total"] == int64(15), "%v", data)
		}},
		{"getAll", func(ctx context.Context) error {
			snaps, err := db.GetAll(ctx, []*firestore.DocumentRef{order, db.Doc("orders/" + run + "-missing")})
			if err != nil {
				return err
			}
			return check(len(snaps) == 2 && snaps[0].Exists() && !snaps[1].Exists(), "exists flags")
		}},
		{"query", func(ctx context.Context) error {
			ids, err := documentIDs(mine.Where("status", "==", "paid").Documents(ctx))
			if err != nil {
				return err
			}
			return check(len(ids) == 1 && ids[0] == "orders/"+run+"-1", "%v", ids)
		}},
		{"collectionGroup", func(ctx context.Context) error {
			ids, err := documentIDs(db.CollectionGroup("items").Where("run", "==", run).Documents(ctx))
			if err != nil {
				return err
			}
			return check(len(ids) == 1 && ids[0] == "orders/"+run+"-1/items/i1", "%v", ids)
		}},
		{"aggregate", func(ctx context.Context) error {
			result, err := mine.NewAggregationQuery().WithCount("n").WithSum("total", "total").Get(ctx)
			if err != nil {
				return err
			}
			data := result.Data()
			return check(data["n"] == int64(1) && data["total"] == int64(15), "%v", data)
		}},
		{"listCollections", func(ctx context.Context) error {
			collections, err := order.Collections(ctx).GetAll()
			if err != nil {
				return err
			}
			return check(len(collections) == 1 && collections[0].ID == "items", "%d collections", len(collections))
		}},
		{"listDocuments", func(ctx context.Context) error {
			refs, err := db.Collection("orders/" + run + "-1/items").DocumentRefs(ctx).GetAll()
			if err != nil {
				return err
			}
			return check(len(refs) == 1 && refs[0].ID == "i1", "%d documents", len(refs))
		}},
		// RunTransaction starts with BeginTransaction (Node's SDK does not).
		{"runTransaction", func(ctx context.Context) error {
			return db.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
				snap, err := tx.Get(order)
				if err != nil {
					return err
				}
				total, err := snap.DataAt("total")
				if err != nil {
					return err
				}
				if err := tx.Update(order, []firestore.Update{{Path: "total", Value: total.(int64) + 1}}); err != nil {
					return err
				}
				return tx.Create(db.Doc("orders/"+run+"-t"), map[string]any{"from": run + "-1"})
			})
		}},
		{"delete", func(ctx context.Context) error {
			_, err := db.Doc("orders/"+run+"-t").Delete(ctx, firestore.Exists)
			return err
		}},
	}
}

// deniedOperations: what tests/e2e/policy.yaml denies the orders workload.
func deniedOperations(db *firestore.Client, run string) []operation {
	return []operation{
		{"denied-write", func(ctx context.Context) error {
			_, err := db.Doc("secrets/"+run+"-w").Set(ctx, map[string]any{"leak": true})
			return err
		}},
		{"denied-read", func(ctx context.Context) error {
			_, err := db.Doc("secrets/" + run + "-seed").Get(ctx)
			return err
		}},
		{"denied-query", func(ctx context.Context) error {
			_, err := db.Collection("secrets").Where("run", "==", run).Documents(ctx).Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			return err
		}},
	}
}

type result struct {
	SDK     string `json:"sdk"`
	Op      string `json:"op"`
	Expect  string `json:"expect"`
	Outcome string `json:"outcome"`
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
}

// runOne runs one operation with a bounded wait and prints its line; it
// reports whether the outcome was the expected one.
func runOne(op operation, expect string, pause time.Duration) bool {
	// Bounded, so that an unreachable target ends the run in minutes, not hours.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := result{SDK: "go", Op: op.name, Expect: expect, Outcome: "ok"}
	if err := op.run(ctx); err != nil {
		r.Code = int(status.Code(err)) // codes.Unknown for errors that are not gRPC statuses
		r.Outcome = "error"
		if status.Code(err) == codes.PermissionDenied {
			r.Outcome = "denied"
		}
		r.Message = strings.SplitN(err.Error(), "\n", 2)[0]
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
	time.Sleep(pause)
	return r.Outcome == expect
}

func main() {
	o := parseFlags()
	db, err := newClient(context.Background(), o)
	if err != nil {
		fail(err.Error())
	}
	defer db.Close()
	if o.listen {
		os.Exit(runListen(db, o))
	}
	surprises := 0
	unreachable := false
	for _, op := range operations(db, o.run) {
		if runOne(op, "ok", o.pause) {
			continue
		}
		surprises++
		// A failed first operation means an unreachable or misconfigured
		// target: stop instead of waiting out every operation's bound.
		if unreachable = op.name == "set"; unreachable {
			break
		}
	}
	if o.expectDenied && !unreachable {
		for _, op := range deniedOperations(db, o.run) {
			if !runOne(op, "denied", o.pause) {
				surprises++
			}
		}
	}
	fmt.Printf("{\"sdk\":\"go\",\"run\":%q,\"surprises\":%d}\n", o.run, surprises)
	if surprises > 0 {
		db.Close()
		os.Exit(1)
	}
}
