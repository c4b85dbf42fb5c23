package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway's event loops: tasks run on them, an actor on them always on the same one, and nothing is lost at close. */
class EventLoopsTest {
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("event-loops-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void everyActorOnTheLoopsRunsOnOneLoopThreadOnly() throws Exception {
    try (EventLoops loops = EventLoops.start("loops-test", 2)) {
      String dispatcher = loops.registerDispatcher(kit.system().classicSystem());
      int actors = 20;
      int messages = 50;
      ThreadsByActor threads = new ThreadsByActor();
      CountDownLatch handled = new CountDownLatch(actors * messages);
      List<ActorRef<Integer>> refs = new ArrayList<>();
      for (int a = 0; a < actors; a++) {
        int id = a;
        refs.add(kit.spawn(Behaviors.receiveMessage(m -> {
          threads.add(id, Thread.currentThread().getName());
          handled.countDown();
          return Behaviors.same();
        }), "actor-" + a, DispatcherSelector.fromConfig(dispatcher)));
      }
      // sent from several threads, so that mailboxes are scheduled from outside the loops while they select
      List<Thread> senders = new ArrayList<>();
      for (int s = 0; s < 4; s++) {
        Thread t = new Thread(() -> {
          for (int m = 0; m < messages / 4 + 1; m++) for (ActorRef<Integer> r : refs) if (handled.getCount() > 0) r.tell(m);
        });
        senders.add(t);
        t.start();
      }
      for (Thread t : senders) t.join();
      for (int m = 0; m < messages; m++) for (ActorRef<Integer> r : refs) r.tell(m);
      assertTrue(handled.await(10, TimeUnit.SECONDS), "every message handled");
      Set<String> used = new HashSet<>();
      for (int a = 0; a < actors; a++) {
        Set<String> of = threads.of(a);
        assertEquals(1, of.size(), "actor " + a + " ran on " + of);
        String thread = of.iterator().next();
        assertTrue(thread.startsWith("loops-test-"), "actor " + a + " ran on " + thread + ", not on a loop");
        used.add(thread);
      }
      assertEquals(2, used.size(), "the actors are spread over both loops: " + used);
    }
  }

  @Test
  void aTaskFromAnotherThreadWakesAnIdleLoop() throws Exception {
    try (EventLoops loops = EventLoops.start("wake-test", 1)) {
      Thread.sleep(50); // the loop is in its select by now
      CompletableFuture<String> ranOn = new CompletableFuture<>();
      loops.execute(() -> ranOn.complete(Thread.currentThread().getName()));
      assertEquals("wake-test-0", ranOn.get(2, TimeUnit.SECONDS));
    }
  }

  @Test
  void tasksGivenAfterCloseStillRun() throws Exception {
    EventLoops loops = EventLoops.start("closed-test", 1);
    loops.close();
    Thread.sleep(50);
    CompletableFuture<Boolean> ran = new CompletableFuture<>();
    // an actor's last messages (its stop among them) must still be handled once the gateway's loops are gone
    loops.execute(() -> ran.complete(true));
    assertTrue(ran.get(2, TimeUnit.SECONDS));
  }

  /** Thread names each actor ran on. */
  private static final class ThreadsByActor {
    private final ConcurrentHashMap<Integer, Set<String>> byActor = new ConcurrentHashMap<>();

    void add(int actor, String thread) {
      byActor.computeIfAbsent(actor, a -> ConcurrentHashMap.newKeySet()).add(thread);
    }

    Set<String> of(int actor) {
      return byActor.getOrDefault(actor, Set.of());
    }
  }
}
