package io.pickspin.routing;

/** The client named a model that the catalogue does not have. */
public final class UnknownModelException extends RuntimeException {
  public UnknownModelException(String model) {
    super("The model '" + model + "' does not exist. Use GET /v1/models to list the models, or \"auto\".");
  }
}
