package io.pickspin.lab.train;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the ONNX protobuf encoding (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto) to write
 * a small embedding-bag classifier by hand, so that tests can produce an operator model without Python.
 */
final class OnnxWriter {
  static final int FLOAT = 1;
  static final int INT64 = 7;

  /** A protobuf message under construction. */
  static final class Msg {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Msg varint(int field, long v) {
      key(field, 0);
      raw(v);
      return this;
    }

    Msg bytes(int field, byte[] b) {
      key(field, 2);
      raw(b.length);
      out.writeBytes(b);
      return this;
    }

    Msg str(int field, String s) {
      return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Msg msg(int field, Msg m) {
      return bytes(field, m.out.toByteArray());
    }

    private void key(int field, int wire) {
      raw(((long) field << 3) | wire);
    }

    private void raw(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] toBytes() {
      return out.toByteArray();
    }
  }

  static Msg node(String op, String[] inputs, String output, Msg... attributes) {
    Msg n = new Msg();
    for (String i : inputs) n.str(1, i);
    n.str(2, output).str(3, op + "_" + output).str(4, op);
    for (Msg a : attributes) n.msg(5, a);
    return n;
  }

  static Msg intAttr(String name, long v) {
    return new Msg().str(1, name).varint(3, v).varint(20, 2);
  }

  static Msg floatTensor(String name, float[] data, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) b.putFloat(f);
    Msg t = new Msg();
    for (long d : dims) t.varint(1, d);
    return t.varint(2, FLOAT).str(8, name).bytes(9, b.array());
  }

  static Msg longTensor(String name, long[] data, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long l : data) b.putLong(l);
    Msg t = new Msg();
    for (long d : dims) t.varint(1, d);
    return t.varint(2, INT64).str(8, name).bytes(9, b.array());
  }

  /** A value with element type and named (dynamic) or fixed dimensions. */
  static Msg valueInfo(String name, int elemType, Object... dims) {
    Msg shape = new Msg();
    for (Object d : dims) {
      Msg dim = d instanceof String s ? new Msg().str(2, s) : new Msg().varint(1, ((Number) d).longValue());
      shape.msg(1, dim);
    }
    Msg tensor = new Msg().varint(1, elemType).msg(2, shape);
    return new Msg().str(1, name).msg(2, new Msg().msg(1, tensor));
  }

  /**
   * An embedding-bag classifier: logits = W · mean over unmasked positions of emb[input_ids] + b, with inputs
   * input_ids and attention_mask (int64, [batch, seq]) and output logits (float, [batch, classes]).
   */
  static byte[] bagClassifier(float[][] embedding, float[][] w, float[] bias) {
    int vocab = embedding.length, e = embedding[0].length, classes = w.length;
    float[] emb = new float[vocab * e];
    for (int i = 0; i < vocab; i++) System.arraycopy(embedding[i], 0, emb, i * e, e);
    float[] wf = new float[classes * e];
    for (int i = 0; i < classes; i++) System.arraycopy(w[i], 0, wf, i * e, e);
    Msg g = new Msg();
    g.msg(1, node("Gather", new String[] {"emb", "input_ids"}, "e"));
    g.msg(1, node("Cast", new String[] {"attention_mask"}, "mf", intAttr("to", FLOAT)));
    g.msg(1, node("Unsqueeze", new String[] {"mf", "axis2"}, "m3"));
    g.msg(1, node("Mul", new String[] {"e", "m3"}, "em"));
    g.msg(1, node("ReduceSum", new String[] {"em", "axis1"}, "sum", intAttr("keepdims", 0)));
    g.msg(1, node("ReduceSum", new String[] {"mf", "axis1"}, "count", intAttr("keepdims", 1)));
    g.msg(1, node("Max", new String[] {"count", "one"}, "count1"));
    g.msg(1, node("Div", new String[] {"sum", "count1"}, "mean"));
    g.msg(1, node("Gemm", new String[] {"mean", "w", "b"}, "logits", intAttr("transB", 1)));
    g.str(2, "bag");
    g.msg(5, floatTensor("emb", emb, vocab, e));
    g.msg(5, longTensor("axis1", new long[] {1}, 1));
    g.msg(5, longTensor("axis2", new long[] {2}, 1));
    g.msg(5, floatTensor("one", new float[] {1f}));
    g.msg(5, floatTensor("w", wf, classes, e));
    g.msg(5, floatTensor("b", bias, classes));
    g.msg(11, valueInfo("input_ids", INT64, "batch", "seq"));
    g.msg(11, valueInfo("attention_mask", INT64, "batch", "seq"));
    g.msg(12, valueInfo("logits", FLOAT, "batch", classes));
    Msg model = new Msg().varint(1, 7).str(2, "pickspin-test").msg(7, g);
    model.msg(8, new Msg().str(1, "").varint(2, 13));
    return model.toBytes();
  }
}
