package io.pickspin.lab.bench;

/**
 * What a new connection costs a server in CPU beyond the requests it carries: the CPU per connection of a churn run
 * (new connections one after another, each with its requests) minus those requests at the CPU per request measured on
 * kept connections. Any unit, as long as both are in it; NaN when either is unknown. No I/O.
 */
final class ConnectionCost {
  private ConnectionCost() {}

  static double beyondRequests(double cpuPerConnection, int requestsPerConnection, double cpuPerKeptRequest) {
    if (requestsPerConnection < 0) {
      throw new IllegalArgumentException("a connection carries 0 or more requests, not " + requestsPerConnection);
    }
    return cpuPerConnection - requestsPerConnection * cpuPerKeptRequest;
  }
}
