package io.pickspin.lab.rl;

import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ModelArchitecture;
import io.pickspin.lab.des.ModelFleet;
import io.pickspin.model.Tier;
import java.util.List;

/**
 * A fleet with the learned-router paper's spread of model sizes (OPT-125M / 1.3B / 6.7B on 1 + 1 + 2 GPUs, about 50x
 * throughput between the smallest and the largest), from the Qwen3 family on H100s: Qwen3-4B and Qwen3-14B in
 * non-thinking mode on one GPU each, Qwen3-32B in thinking mode on two (tensor parallel). Accuracy from the Qwen3
 * report's thinking and non-thinking tables (model_quality/qwen3_tech_report_tables.csv); latency from the DES's
 * calibrated roofline, with a thinking model's answer {@code thinking-output-factor} times longer (its reasoning
 * tokens are generated before the answer).
 */
public final class SpreadFleet {
  private SpreadFleet() {}

  public static final String NAME = "qwen3-spread";

  /** Qwen3-4B's config.json: 36 layers, hidden 2560, FFN 9728, 32 query / 8 KV heads of 128, tied embeddings. */
  public static final ModelArchitecture QWEN_3_4B =
      new ModelArchitecture("Qwen3-4B", 36, 2560, 9728, 32, 8, 128, 151936, true, 0, 0, true);

  public static List<ModelFleet.Model> models() {
    return List.of(
        new ModelFleet.Model("qwen3-4b", Tier.LOW, "Qwen3-4B(non-thinking)",
            new LatencyModel.Deployment(QWEN_3_4B, "h100", 1), 64),
        new ModelFleet.Model("qwen3-14b", Tier.MEDIUM, "Qwen3-14B(non-thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_14B, "h100", 1), 64),
        new ModelFleet.Model("qwen3-32b-thinking", Tier.HIGH, "Qwen3-32B(thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2), 64));
  }

  /** Per model of {@code fleet} its output-token factor: {@code factor} for thinking-mode models, 1 for the others. */
  public static double[] outputFactors(ModelFleet fleet, double factor) {
    return fleet.models().stream().mapToDouble(m -> m.qualityRow().contains("(thinking)") ? factor : 1).toArray();
  }
}
