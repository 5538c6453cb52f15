package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients writing orders through the router at a steady rate, recording every acknowledged write
 * in a {@link Ledger}. A write counts as acknowledged only on a 201 answer; anything else (the
 * router's 502/503 while a site is down, a 409 from a fenced site, a timeout) is counted as failed
 * and the client moves on to a new order, as a real client that gave up would.
 */
public final class LoadGenerator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The outcome of one attempted write.
   *
   * @param at when the answer (or failure) arrived
   * @param acknowledged whether the write was acknowledged
   * @param latency how long the request took
   */
  public record Attempt(Instant at, boolean acknowledged, Duration latency) {}

  private final URI target;
  private final Ledger ledger;
  private final Clock clock;
  private final int writers;
  private final double ratePerSecond;
  private final String prefix;
  private final HttpClient client;
  private final AtomicLong seq = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final java.util.concurrent.ConcurrentLinkedQueue<Attempt> attempts =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopping;

  /**
   * @param target the router's base URI
   * @param ledger where acknowledged writes are recorded
   * @param clock the clock stamping acknowledgements
   * @param writers how many concurrent clients, {@code >= 1}
   * @param ratePerSecond the total target rate of writes per second, {@code > 0}
   * @param prefix prefix of the order ids this generator creates (so runs never collide)
   */
  public LoadGenerator(URI target, Ledger ledger, Clock clock, int writers, double ratePerSecond, String prefix) {
    this.target = Objects.requireNonNull(target, "target");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (writers < 1) {
      throw new IllegalArgumentException("writers must be >= 1 but was " + writers);
    }
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("ratePerSecond must be > 0 but was " + ratePerSecond);
    }
    if (!Order.validId(prefix + "-0")) {
      throw new IllegalArgumentException("prefix '" + prefix + "' makes invalid order ids");
    }
    this.writers = writers;
    this.ratePerSecond = ratePerSecond;
    this.prefix = prefix;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1)).build();
  }

  /**
   * Starts the writers.
   *
   * @return this generator
   */
  public synchronized LoadGenerator start() {
    if (!threads.isEmpty()) {
      return this;
    }
    long periodNanos = (long) (TimeUnit.SECONDS.toNanos(1) * writers / ratePerSecond);
    for (int w = 0; w < writers; w++) {
      Thread t = new Thread(() -> run(periodNanos), "orders-load-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    LOG.info("load: {} writers at {} writes/s total against {}", writers, ratePerSecond, target);
    return this;
  }

  private void run(long periodNanos) {
    long next = System.nanoTime();
    while (!stopping) {
      writeOne();
      next += periodNanos;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      } else {
        next = System.nanoTime();
      }
    }
  }

  /**
   * Writes one order through the router, synchronously.
   *
   * @return whether it was acknowledged
   */
  public boolean writeOne() {
    long n = seq.incrementAndGet();
    String id = prefix + "-" + n;
    long started = System.nanoTime();
    boolean ok = false;
    try {
      String body = JSON.writeValueAsString(Map.of("id", id, "customer", "customer-" + (n % 97),
          "amountCents", 100 + (n * 37) % 10_000));
      HttpRequest req = HttpRequest.newBuilder(target.resolve("/orders")).timeout(Duration.ofSeconds(2))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() == 201) {
        String site = resp.headers().firstValue(OrderSite.SITE_HEADER).orElse("?");
        long epoch = resp.headers().firstValue(OrderSite.EPOCH_HEADER).map(Long::parseLong).orElse(0L);
        ledger.record(new Ledger.Entry(id, clock.instant(), site, epoch));
        ok = true;
      }
    } catch (IOException e) {
      LOG.debug("load: write {} failed: {}", id, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
    attempts.add(new Attempt(clock.instant(), ok, Duration.ofNanos(System.nanoTime() - started)));
    (ok ? acked : failed).incrementAndGet();
    return ok;
  }

  /** @return how many writes were acknowledged */
  public long acknowledged() {
    return acked.get();
  }

  /** @return how many writes failed */
  public long failed() {
    return failed.get();
  }

  /** @return every attempt so far, in completion order */
  public List<Attempt> attempts() {
    return new ArrayList<>(attempts);
  }

  /** Stops the writers and waits for them (each finishes its current request). */
  @Override
  public void close() {
    stopping = true;
    List<Thread> ts;
    synchronized (this) {
      ts = new ArrayList<>(threads);
    }
    for (Thread t : ts) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
