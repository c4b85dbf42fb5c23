package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConnectionCostTest {
  @Test
  void theConnectionsRequestsAreTakenOffAtTheKeptConnectionCost() {
    // the hand measurement: 5.1 s of gateway CPU over 900 connections x 2 requests, 1.8 s for 1,800 kept requests
    double perConnectionUs = 5_100_000.0 / 900;
    double perKeptRequestUs = 1_800_000.0 / 1_800;
    assertEquals(3_666.7, ConnectionCost.beyondRequests(perConnectionUs, 2, perKeptRequestUs), 0.1);
    assertEquals(5_666.7, ConnectionCost.beyondRequests(perConnectionUs, 0, perKeptRequestUs), 0.1);
  }

  @Test
  void aConnectionCheaperThanItsKeptRequestsComesOutNegative() {
    // not clamped at 0: a negative value says the kept-connection figure does not fit this cell, which should show
    assertEquals(-0.5, ConnectionCost.beyondRequests(1.5, 2, 1.0), 1e-9);
  }

  @Test
  void anUnknownCpuPerKeptRequestLeavesItUnknown() {
    assertEquals(Double.NaN, ConnectionCost.beyondRequests(5.0, 2, Double.NaN));
    assertEquals(Double.NaN, ConnectionCost.beyondRequests(Double.NaN, 2, 1.0));
  }

  @Test
  void aConnectionCannotCarryFewerThanNoRequests() {
    assertThrows(IllegalArgumentException.class, () -> ConnectionCost.beyondRequests(5.0, -1, 1.0));
  }
}
