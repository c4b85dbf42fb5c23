package io.pickspin.routing.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.transformer.BertBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The built-in complexity classifier network. Input: ids (batch, length) and a 0/1 float mask of the same shape.
 * Output: logits (batch, 3) for LOW, MEDIUM, HIGH.
 *
 * <ul>
 *   <li>{@code bag}: an embedding bag over word-piece and hashed bigram ids (fastText style), masked mean, then a
 *       ReLU MLP head.
 *   <li>{@code encoder}: DJL's BertBlock (a small BERT/DistilBERT-family transformer encoder), masked mean over its
 *       sequence output, then the same head. BertBlock quirks (../shared/research/proto-ml.md 1.9): inputs must be
 *       padded to exactly its max length, and its pooled output is unusable, so the sequence output is pooled here.
 * </ul>
 */
public final class TierNet extends AbstractBlock {
  public static final String BAG = "bag";
  public static final String ENCODER = "encoder";

  private final String arch;
  private final Parameter embedding;
  private final BertBlock encoder;
  private final Linear hidden;
  private final Dropout dropout;
  private final Linear output;
  private final int width;
  private final int hiddenUnits;

  public TierNet(ClassifierMetadata m) {
    this.arch = m.arch();
    this.width = m.embedding();
    this.hiddenUnits = m.hidden();
    if (BAG.equals(arch)) {
      // a plain parameter indexed with the ids: DJL's IdEmbedding temporarily re-attaches its weight to the caller's
      // NDManager, which breaks concurrent inference
      embedding =
          addParameter(
              Parameter.builder()
                  .setName("embedding")
                  .setType(Parameter.Type.WEIGHT)
                  .optShape(new Shape(m.dictionarySize(), m.embedding()))
                  .build());
      encoder = null;
    } else if (ENCODER.equals(arch)) {
      embedding = null;
      encoder =
          addChildBlock(
              "encoder",
              BertBlock.builder()
                  .setTokenDictionarySize(m.vocabSize())
                  .optTypeDictionarySize(2)
                  .optEmbeddingSize(m.embedding())
                  .optTransformerBlockCount(m.layers())
                  .optAttentionHeadCount(m.heads())
                  .optHiddenSize(4 * m.embedding())
                  .optHiddenDropoutProbability(0.1f)
                  .optMaxSequenceLength(m.maxTokens())
                  .build());
    } else {
      throw new IllegalArgumentException("unknown classifier architecture '" + arch + "', expected bag or encoder");
    }
    hidden = addChildBlock("hidden", Linear.builder().setUnits(m.hidden()).build());
    dropout = addChildBlock("dropout", Dropout.builder().optRate(0.2f).build());
    output = addChildBlock("output", Linear.builder().setUnits(3).build());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray ids = inputs.get(0);
    NDArray mask = inputs.get(1);
    NDArray seq;
    if (embedding != null) {
      seq = ps.getValue(embedding, ids.getDevice(), training).get(ids);
      // the gathered rows are created in the parameter's manager, which lives as long as the model: hand them to the
      // caller's manager so that they are freed with the call (else every call leaks its rows and all derived arrays)
      seq.attach(ids.getManager());
    } else {
      seq = encoder.forward(ps, new NDList(ids, ids.zerosLike(), mask), training).get(0);
    }
    NDArray m = mask.expandDims(2);
    NDArray pooled = seq.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1f));
    NDArray h = Activation.relu(hidden.forward(ps, new NDList(pooled), training).singletonOrThrow());
    h = dropout.forward(ps, new NDList(h), training).singletonOrThrow();
    return output.forward(ps, new NDList(h), training);
  }

  /**
   * The bag network's trained weights copied into a plain-Java evaluator (the product's inference path).
   *
   * @throws IllegalStateException for the encoder architecture, or before the parameters are initialised or loaded
   */
  BagTierNet toPlainJava() {
    if (embedding == null) throw new IllegalStateException("only the bag architecture runs in plain Java, not " + arch);
    return new BagTierNet(
        values(embedding),
        width,
        values(hidden.getParameters().get("weight")),
        values(hidden.getParameters().get("bias")),
        values(output.getParameters().get("weight")),
        values(output.getParameters().get("bias")));
  }

  private static float[] values(Parameter p) {
    if (p == null || !p.isInitialized()) throw new IllegalStateException("classifier parameters are not loaded");
    return p.getArray().toFloatArray();
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), 3)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    long batch = inputShapes[0].get(0);
    if (encoder != null) {
      encoder.initialize(manager, dataType, inputShapes[0], inputShapes[0], inputShapes[1]);
    }
    hidden.initialize(manager, dataType, new Shape(batch, width));
    dropout.initialize(manager, dataType, new Shape(batch, hiddenUnits));
    output.initialize(manager, dataType, new Shape(batch, hiddenUnits));
  }
}
