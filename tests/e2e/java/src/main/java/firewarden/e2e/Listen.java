// The listener list of SdkClient --listen: an addSnapshotListener listener on
// an allowed query receives its first snapshot and a change; with
// --expect-denied, one on a query tests/e2e/policy.yaml denies the orders
// workload gets a FirestoreException with code 7 in its callback; the allowed
// listener then still receives changes.
package firewarden.e2e;

import com.google.cloud.firestore.Firestore;
import com.google.cloud.firestore.FirestoreException;
import com.google.cloud.firestore.ListenerRegistration;
import com.google.cloud.firestore.QuerySnapshot;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

final class Listen {
  private static final long WAIT_SECONDS = 15;

  private Listen() {}

  /** What one listener received: the document count of each snapshot, and its error. */
  private static final class Seen {
    private final List<Integer> sizes = new ArrayList<>();
    private FirestoreException error;

    synchronized void onEvent(QuerySnapshot snapshot, FirestoreException e) {
      if (e != null) {
        error = e;
      } else {
        sizes.add(snapshot.size());
      }
      notifyAll();
    }

    synchronized void waitForSize(int n) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (!sizes.contains(n)) {
        if (error != null) {
          throw error;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no snapshot of " + n + " documents (saw " + sizes + ")");
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    synchronized FirestoreException waitForError() throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (error == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no error (snapshots " + sizes + ")");
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return error;
    }
  }

  static List<SdkClient.Step> operations(Firestore db, String run, boolean expectDenied) {
    Seen live = new Seen();
    ListenerRegistration[] registration = new ListenerRegistration[1];
    SdkClient.Operation[] write = new SdkClient.Operation[3];
    for (int i = 0; i < 3; i++) {
      String id = run + "-l" + (i + 1);
      write[i] = () -> db.document("orders/" + id).set(Map.of("run", run)).get();
    }
    List<SdkClient.Step> steps = new ArrayList<>();
    steps.add(new SdkClient.Step("listen-query", () -> {
      write[0].run();
      registration[0] = db.collection("orders").whereEqualTo("run", run).addSnapshotListener(live::onEvent);
      live.waitForSize(1);
      write[1].run();
      live.waitForSize(2);
    }));
    if (expectDenied) {
      steps.add(new SdkClient.Step("denied-listen", () -> {
        Seen denied = new Seen();
        ListenerRegistration r = db.collection("secrets").whereEqualTo("run", run).addSnapshotListener(denied::onEvent);
        try {
          FirestoreException error = denied.waitForError();
          // The code is the status the SDK built from the target change's cause.
          Status status = error.getStatus();
          throw status != null ? status.withDescription(error.getMessage()).asRuntimeException() : error;
        } finally {
          r.remove();
        }
      }));
    }
    steps.add(new SdkClient.Step("listen-after-denial", () -> {
      try {
        write[2].run();
        live.waitForSize(3);
      } finally {
        if (registration[0] != null) {
          registration[0].remove();
        }
      }
    }));
    return steps;
  }
}
