package io.pickspin.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Dispatcher;
import org.apache.pekko.dispatch.Dispatchers;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.MessageDispatcher;
import org.apache.pekko.dispatch.MessageDispatcherConfigurator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads that each wait on a selector for their sockets and, between selects, run the tasks given to them: the
 * gateway's own TCP ({@link SelectorTransport}) and, as a Pekko dispatcher ({@link #registerDispatcher}), the streams of
 * the connections whose sockets they read.
 *
 * <p>Why: with the streams on Pekko's default dispatcher, every request crossed threads four times (the selector
 * thread hands the request's bytes to a pool thread, which writes to the replica; the selector hands the answer to a
 * pool thread, which writes to the client), each crossing a futex wake-up of a parked thread, and on a busy machine a
 * wait for a core. On its loop, a connection's bytes are read, run through its stream and written by one thread, as
 * nginx's workers do: the system calls left per request are the reads, the writes and the selects.
 *
 * <p>Each actor's mailbox always goes to the same loop (by identity), so a connection's stream, and the sockets it
 * registers from it, stay on one thread. Nothing on a loop may block: a loop that blocks stalls every connection on it.
 */
final class EventLoops extends AbstractExecutorService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventLoops.class);
  private static final int READ_BUFFER_BYTES = 64 * 1024;
  /** Tasks a loop runs between two selects at most, so that a busy stream cannot starve the sockets. */
  private static final int TASKS_PER_TURN = 256;
  private static final AtomicInteger DISPATCHERS = new AtomicInteger();
  private static final ThreadLocal<Loop> CURRENT = new ThreadLocal<>();

  /** What a loop calls on the attachment of a selected key. */
  interface Ready {
    void ready(SelectionKey key);

    /** The loop is stopping: the socket will not be read again. */
    void fail(IOException error);
  }

  private final Loop[] loops;
  private final AtomicInteger nextLoop = new AtomicInteger();
  private volatile boolean closed;

  private EventLoops(String name, int threads) throws IOException {
    loops = new Loop[threads];
    try {
      for (int i = 0; i < threads; i++) loops[i] = new Loop(name + "-" + i);
    } catch (IOException e) {
      for (Loop l : loops) if (l != null) l.selector.close();
      throw e;
    }
  }

  /** @param threads how many loops; 0 or less: one per core */
  static EventLoops start(String name, int threads) throws IOException {
    EventLoops e = new EventLoops(name, threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    for (Loop l : e.loops) l.thread.start();
    return e;
  }

  /** The loop of the calling thread if it is one of these, else the next one in turn. */
  Loop loop() {
    Loop current = CURRENT.get();
    if (current != null && current.owner() == this) return current;
    return loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
  }

  /**
   * Makes these loops a dispatcher of {@code system}, for streams whose sockets they read; its id goes into
   * {@code ActorAttributes.dispatcher}.
   */
  String registerDispatcher(ActorSystem system) {
    String id = "pickspin.gateway.event-loops-" + DISPATCHERS.incrementAndGet();
    Dispatchers dispatchers = system.dispatchers();
    MessageDispatcherConfigurator configurator =
        new MessageDispatcherConfigurator(dispatchers.defaultDispatcherConfig(), dispatchers.prerequisites()) {
          private final MessageDispatcher dispatcher =
              new Dispatcher(
                  this,
                  id,
                  config().getInt("throughput"),
                  scala.concurrent.duration.Duration.Zero(),
                  (dispatcherId, threadFactory) -> (ExecutorServiceFactory) () -> EventLoops.this,
                  scala.concurrent.duration.FiniteDuration.apply(1, TimeUnit.SECONDS));

          @Override
          public MessageDispatcher dispatcher() {
            return dispatcher;
          }
        };
    dispatchers.registerConfigurator(id, configurator);
    return id;
  }

  /** Runs {@code task} on a loop: an actor's mailbox always on the same one. */
  @Override
  public void execute(Runnable task) {
    loops[(System.identityHashCode(task) & Integer.MAX_VALUE) % loops.length].execute(task);
  }

  /** Stops the loops; sockets still registered get {@link Ready#fail}, tasks given later run on the common pool. */
  @Override
  public void close() {
    closed = true;
    for (Loop l : loops) l.selector.wakeup();
  }

  /** Pekko's dispatcher stops its executor when it has had no actors for a while, and would start it again: the loops stay. */
  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return false;
  }

  /** One thread, its selector and its queue of tasks. */
  final class Loop implements Executor {
    final Selector selector;
    final Thread thread;
    /** For reads on this loop: bytes are copied out before the next read. */
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Tasks for after the next select (the loop's thread only). */
    private final List<Runnable> afterSelect = new ArrayList<>();
    /** Set while the thread is in (or about to enter) a blocking select: only then does a new task need a wake-up. */
    private volatile boolean selecting;

    private Loop(String name) throws IOException {
      this.selector = Selector.open();
      this.thread = new Thread(this::selectLoop, name);
      thread.setDaemon(true);
    }

    private EventLoops owner() {
      return EventLoops.this;
    }

    boolean inLoop() {
      return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
      if (closed) {
        drainTo(ForkJoinPool.commonPool());
      } else if (selecting && !inLoop()) {
        selector.wakeup();
      }
    }

    /**
     * Runs {@code task} on this loop once it has selected again: a channel closed with its key cancelled is closed for
     * good (the kernel stops accepting on a listening port) only when the selector next drops the key.
     */
    void afterNextSelect(Runnable task) {
      // a stopped loop selects no more, and its selector has dropped every key
      run(() -> {
        if (closed) task.run();
        else afterSelect.add(task);
      });
    }

    /** Runs {@code task} at once when called on this loop, else as its next task (registrations must run here). */
    void run(Runnable task) {
      if (inLoop()) task.run();
      else execute(task);
    }

    private void selectLoop() {
      CURRENT.set(this);
      while (!closed) {
        try {
          selecting = true;
          if (tasks.isEmpty() && afterSelect.isEmpty()) selector.select();
          else selector.selectNow();
          selecting = false;
          if (!afterSelect.isEmpty()) {
            tasks.addAll(afterSelect);
            afterSelect.clear();
          }
          for (SelectionKey key : selector.selectedKeys()) ((Ready) key.attachment()).ready(key);
          selector.selectedKeys().clear();
          runTasks();
        } catch (ClosedSelectorException e) {
          break;
        } catch (Throwable e) {
          log.error("event loop {}: unexpected error, continuing", thread.getName(), e);
        }
      }
      for (SelectionKey key : selector.keys()) ((Ready) key.attachment()).fail(new IOException("the gateway is stopping"));
      try {
        selector.close();
      } catch (IOException e) {
        log.debug("closing the selector of {}", thread.getName(), e);
      }
      tasks.addAll(afterSelect); // the closed selector has dropped every key
      drainTo(ForkJoinPool.commonPool());
    }

    private void runTasks() {
      for (int i = 0; i < TASKS_PER_TURN; i++) {
        Runnable t = tasks.poll();
        if (t == null) return;
        try {
          t.run();
        } catch (Throwable e) {
          log.error("event loop {}: a task failed", thread.getName(), e);
        }
      }
    }

    /** After the loop stopped: what was given to it still runs (an actor must still stop), elsewhere. */
    private void drainTo(Executor elsewhere) {
      for (Runnable t; (t = tasks.poll()) != null; ) elsewhere.execute(t);
    }
  }
}
