package io.pickspin.model;

import java.net.URI;

/**
 * One OpenAI-compatible server that serves a model: a vLLM, TGI or TensorRT-LLM replica, or a sim process.
 *
 * @param id unique within the model, e.g. "vllm-0"
 * @param kind the serving engine: vllm, tgi, tensorrt, llamacpp or sim
 * @param baseUrl the URL that "/v1/chat/completions" is appended to
 */
public record BackendEndpoint(String id, String kind, URI baseUrl) {
  public BackendEndpoint {
    if (id == null || id.isBlank()) throw new IllegalArgumentException("backend id is required");
    if (kind == null || kind.isBlank()) throw new IllegalArgumentException("backend kind is required");
    if (baseUrl == null) throw new IllegalArgumentException("backend base-url is required");
  }
}
