package io.pickspin.keys;

import io.pickspin.CborSerializable;

/** Requests and the tokens their answers' {@code usage} reported. */
public record TokenUsage(long requests, long promptTokens, long completionTokens) implements CborSerializable {
  public static final TokenUsage ZERO = new TokenUsage(0, 0, 0);

  public TokenUsage plus(TokenUsage o) {
    return new TokenUsage(requests + o.requests, promptTokens + o.promptTokens, completionTokens + o.completionTokens);
  }

  public long tokens() {
    return promptTokens + completionTokens;
  }
}
