// The Java Firestore SDK (com.google.cloud:google-cloud-firestore, gRPC) running
// the operation list every gRPC SDK client of the end-to-end tests runs
// (tests/e2e/node/grpc_sdk.test.js drives them; docs/clients.md shows the
// settings). One JSON line per operation on stdout:
//   {"sdk":"java","op":"set","expect":"ok","outcome":"ok","code":0}
// and exit status 1 when any outcome is not the expected one.
//
//   java -cp target/classes:$(cat target/classpath.txt) firewarden.e2e.SdkClient \
//     --target 127.0.0.1:PORT --project ID [--run ID] [--expect-denied]
//     [--ca ca.pem --cert svid.pem --key svid.key] [--pause-ms N] [--listen]
//
// --target defaults to $FIRESTORE_EMULATOR_HOST. Without --ca: setEmulatorHost
// (plaintext HTTP/2, as to the emulator or a sidecar). With it (mtls):
// InstantiatingGrpcChannelProvider whose Netty channel has an SslContext holding
// the client certificate, and credentials that add nothing (see client()). --expect-denied adds the
// operations that tests/e2e/policy.yaml denies to
// spiffe://cluster.local/ns/orders/sa/orders-api, each of which must fail with
// gRPC code 7 (PERMISSION_DENIED). --pause-ms waits after each result line
// (tests/e2e/node/capture-grpc.js attributes messages by them). --listen runs
// the real-time listener list instead (Listen.java).
package firewarden.e2e;

import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.rpc.ApiException;
import com.google.auth.Credentials;
import com.google.cloud.Timestamp;
import com.google.cloud.firestore.AggregateField;
import com.google.cloud.firestore.AggregateQuerySnapshot;
import com.google.cloud.firestore.CollectionReference;
import com.google.cloud.firestore.DocumentReference;
import com.google.cloud.firestore.DocumentSnapshot;
import com.google.cloud.firestore.FieldValue;
import com.google.cloud.firestore.Firestore;
import com.google.cloud.firestore.FirestoreOptions;
import com.google.cloud.firestore.Precondition;
import com.google.cloud.firestore.Query;
import com.google.cloud.firestore.QueryDocumentSnapshot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.File;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

public final class SdkClient {
  private static final int PERMISSION_DENIED = Status.Code.PERMISSION_DENIED.value();

  interface Operation {
    void run() throws Exception;
  }

  record Step(String name, Operation operation) {}

  private final Map<String, String> args = new HashMap<>();

  private SdkClient(String[] argv) {
    args.put("--target", Objects.requireNonNullElse(System.getenv("FIRESTORE_EMULATOR_HOST"), ""));
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    args.put("--run", HexFormat.of().formatHex(random));
    for (int i = 0; i < argv.length; i++) {
      if (argv[i].equals("--expect-denied") || argv[i].equals("--listen")) {
        args.put(argv[i], "true");
      } else if (argv[i].startsWith("--") && i + 1 < argv.length) {
        args.put(argv[i], argv[++i]);
      } else {
        throw new IllegalArgumentException("unknown or incomplete argument " + argv[i]);
      }
    }
    if (args.get("--target").isEmpty() || !args.containsKey("--project")) {
      throw new IllegalArgumentException("--target (or FIRESTORE_EMULATOR_HOST) and --project are required");
    }
  }

  private Firestore client() throws Exception {
    FirestoreOptions.Builder options = FirestoreOptions.newBuilder().setProjectId(args.get("--project"));
    if (!args.containsKey("--ca")) {
      return options.setEmulatorHost(args.get("--target")).build().getService();
    }
    SslContext ssl = GrpcSslContexts.forClient()
        .trustManager(new File(args.get("--ca")))
        .keyManager(new File(args.get("--cert")), new File(args.get("--key")))
        .build();
    InstantiatingGrpcChannelProvider channel = InstantiatingGrpcChannelProvider.newBuilder()
        .setEndpoint(args.get("--target"))
        .setChannelConfigurator(builder -> ((NettyChannelBuilder) builder).sslContext(ssl))
        .build();
    // No Google credentials: the certificate is the caller's identity. Not
    // NoCredentialsProvider: FirestoreOptions.Builder.build() hands its null
    // credentials to setCredentials (NullPointerException), and with
    // NoCredentials GrpcFirestoreRpc takes the emulator path and opens a
    // plaintext channel to the host, ignoring the channel provider (SDK 3.37).
    // setHost too: the SDK points the channel provider at its host.
    return options.setHost(args.get("--target"))
        .setChannelProvider(channel)
        .setCredentialsProvider(FixedCredentialsProvider.create(new CertificateOnly()))
        .build()
        .getService();
  }

  /** Credentials that add nothing to a call: the TLS client certificate authenticates. */
  private static final class CertificateOnly extends Credentials {
    @Override
    public String getAuthenticationType() {
      return "tls-client-certificate";
    }

    @Override
    public Map<String, List<String>> getRequestMetadata(URI uri) {
      return Map.of();
    }

    @Override
    public boolean hasRequestMetadata() {
      return false;
    }

    @Override
    public boolean hasRequestMetadataOnly() {
      return true;
    }

    @Override
    public void refresh() {}
  }

  private static void check(boolean condition, Object what) {
    if (!condition) {
      throw new IllegalStateException("unexpected result: " + what);
    }
  }

  private static List<String> paths(List<QueryDocumentSnapshot> docs) {
    List<String> paths = new ArrayList<>();
    docs.forEach(d -> paths.add(d.getReference().getPath()));
    return paths;
  }

  /** The operation list, in order; every SDK's client runs the same one. */
  private static List<Step> operations(Firestore db, String run) {
    DocumentReference order = db.document("orders/" + run + "-1");
    DocumentReference item = db.document("orders/" + run + "-1/items/i1");
    Query mine = db.collection("orders").whereEqualTo("run", run);
    Timestamp[] setTime = new Timestamp[1];
    return List.of(
        new Step("set", () -> setTime[0] = order.set(Map.of("status", "open", "total", 10, "run", run)).get().getUpdateTime()),
        new Step("create", () -> item.create(Map.of("price", 3, "run", run)).get()),
        new Step("update-precondition", () -> order.update(Precondition.updatedAt(setTime[0]), "status", "paid").get()),
        new Step("increment", () -> order.update("total", FieldValue.increment(5)).get()),
        new Step("get", () -> {
          Map<String, Object> data = order.get().get().getData();
          check(data != null && "paid".equals(data.get("status")) && Long.valueOf(15).equals(data.get("total")), data);
        }),
        new Step("getAll", () -> {
          List<DocumentSnapshot> found = db.getAll(order, db.document("orders/" + run + "-missing")).get();
          check(found.size() == 2 && found.get(0).exists() && !found.get(1).exists(), "exists flags");
        }),
        new Step("query", () -> {
          List<String> paths = paths(mine.whereEqualTo("status", "paid").get().get().getDocuments());
          check(paths.equals(List.of(order.getPath())), paths);
        }),
        new Step("collectionGroup", () -> {
          List<String> paths = paths(db.collectionGroup("items").whereEqualTo("run", run).get().get().getDocuments());
          check(paths.equals(List.of(item.getPath())), paths);
        }),
        new Step("aggregate", () -> {
          AggregateQuerySnapshot sums = mine.aggregate(AggregateField.count(), AggregateField.sum("total")).get().get();
          Object total = sums.get(AggregateField.sum("total"));
          check(sums.getCount() == 1 && total instanceof Number n && n.longValue() == 15, sums.getCount() + " " + total);
        }),
        new Step("listCollections", () -> {
          List<String> ids = new ArrayList<>();
          order.listCollections().forEach(c -> ids.add(c.getId()));
          check(ids.equals(List.of("items")), ids);
        }),
        new Step("listDocuments", () -> {
          List<String> ids = new ArrayList<>();
          CollectionReference items = db.collection("orders/" + run + "-1/items");
          items.listDocuments().forEach(d -> ids.add(d.getId()));
          check(ids.equals(List.of("i1")), ids);
        }),
        new Step("runTransaction", () -> db.runTransaction(t -> {
          long total = t.get(order).get().getLong("total");
          t.update(order, "total", total + 1);
          t.create(db.document("orders/" + run + "-t"), Map.of("from", run + "-1"));
          return null;
        }).get()),
        // Java offers no public exists precondition on delete (only updatedAt).
        new Step("delete", () -> db.document("orders/" + run + "-t").delete().get()));
  }

  /** What tests/e2e/policy.yaml denies the orders workload. */
  private static List<Step> deniedOperations(Firestore db, String run) {
    return List.of(
        new Step("denied-write", () -> db.document("secrets/" + run + "-w").set(Map.of("leak", true)).get()),
        new Step("denied-read", () -> db.document("secrets/" + run + "-seed").get().get()),
        new Step("denied-query", () -> db.collection("secrets").whereEqualTo("run", run).get().get()));
  }

  /** The gRPC status code somewhere in the cause chain, -1 when there is none. */
  private static int grpcCode(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof ApiException api) {
        return Status.Code.valueOf(api.getStatusCode().getCode().name()).value();
      }
      if (e instanceof StatusRuntimeException status) {
        return status.getStatus().getCode().value();
      }
    }
    return -1;
  }

  private static String json(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static boolean runOne(Step step, String expect, long pauseMs) throws InterruptedException {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("sdk", json("java"));
    result.put("op", json(step.name()));
    result.put("expect", json(expect));
    String outcome = "ok";
    int code = 0;
    String message = null;
    try {
      step.operation().run();
    } catch (Exception error) {
      code = grpcCode(error);
      outcome = code == PERMISSION_DENIED ? "denied" : "error";
      message = String.valueOf(error.getMessage()).lines().findFirst().orElse("");
      if (!outcome.equals(expect)) {
        error.printStackTrace(); // stderr: why, for the test's failure message
      }
    }
    result.put("outcome", json(outcome));
    result.put("code", code);
    if (message != null) {
      result.put("message", json(message));
    }
    List<String> fields = new ArrayList<>();
    result.forEach((k, v) -> fields.add(json(k) + ":" + v));
    System.out.println("{" + String.join(",", fields) + "}");
    Thread.sleep(pauseMs);
    return outcome.equals(expect);
  }

  private int run() throws Exception {
    String run = args.get("--run");
    long pauseMs = Long.parseLong(args.getOrDefault("--pause-ms", "0"));
    int surprises;
    try (Firestore db = client()) {
      surprises = args.containsKey("--listen") ? runListeners(db, run, pauseMs) : runOperations(db, run, pauseMs);
    }
    System.out.println("{\"sdk\":\"java\",\"run\":" + json(run) + ",\"surprises\":" + surprises + "}");
    return surprises == 0 ? 0 : 1;
  }

  /** Runs the operation list (and the denied list); returns the number of surprises. */
  private int runOperations(Firestore db, String run, long pauseMs) throws InterruptedException {
    int surprises = 0;
    boolean unreachable = false;
    for (Step step : operations(db, run)) {
      if (runOne(step, "ok", pauseMs)) {
        continue;
      }
      surprises++;
      // A failed first operation means an unreachable or misconfigured
      // target: stop instead of waiting out every operation's bound.
      unreachable = step.name().equals("set");
      if (unreachable) {
        break;
      }
    }
    if (args.containsKey("--expect-denied") && !unreachable) {
      for (Step step : deniedOperations(db, run)) {
        surprises += runOne(step, "denied", pauseMs) ? 0 : 1;
      }
    }
    return surprises;
  }

  /** Runs the listener list of Listen.java; returns the number of surprises. */
  private int runListeners(Firestore db, String run, long pauseMs) throws InterruptedException {
    int surprises = 0;
    for (Step step : Listen.operations(db, run, args.containsKey("--expect-denied"))) {
      surprises += runOne(step, step.name().startsWith("denied") ? "denied" : "ok", pauseMs) ? 0 : 1;
    }
    return surprises;
  }

  public static void main(String[] argv) throws Exception {
    int status;
    try {
      status = new SdkClient(argv).run();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      status = 2;
    }
    System.exit(status);
  }
}
