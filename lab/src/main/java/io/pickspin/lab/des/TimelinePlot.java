package io.pickspin.lab.des;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws per-minute time series as a grid of line charts into a PNG, headless (java.awt + ImageIO). */
final class TimelinePlot {
  record Series(String label, Color color, double[] perMinute) {}

  record Panel(String title, String yLabel, List<Series> series, boolean logY) {}

  private static final int PANEL_W = 700, PANEL_H = 300, MARGIN_L = 70, MARGIN_R = 20, MARGIN_T = 30, MARGIN_B = 45;

  private TimelinePlot() {}

  /** Panels laid out {@code columns} per row. */
  static void write(Path png, String title, List<Panel> panels, int columns) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int rows = (panels.size() + columns - 1) / columns;
    int header = 40;
    BufferedImage img = new BufferedImage(columns * PANEL_W, header + rows * PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(title, 10, 26);
    for (int i = 0; i < panels.size(); i++) {
      draw(g, panels.get(i), (i % columns) * PANEL_W, header + (i / columns) * PANEL_H);
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(img, "png", png.toFile());
  }

  private static void draw(Graphics2D g, Panel p, int x0, int y0) {
    int w = PANEL_W - MARGIN_L - MARGIN_R, h = PANEL_H - MARGIN_T - MARGIN_B;
    int left = x0 + MARGIN_L, top = y0 + MARGIN_T;
    int minutes = 1;
    double max = 0, min = Double.MAX_VALUE;
    for (Series s : p.series()) {
      minutes = Math.max(minutes, s.perMinute().length);
      for (double v : s.perMinute()) {
        if (Double.isNaN(v) || (p.logY() && v <= 0)) continue;
        max = Math.max(max, v);
        min = Math.min(min, v);
      }
    }
    if (max <= 0) max = 1;
    double lo = p.logY() ? Math.log10(Math.max(min, max / 1e4)) : 0;
    double hi = p.logY() ? Math.log10(max) : max * 1.1;
    if (p.logY()) {
      lo = Math.floor(lo);
      hi = Math.ceil(hi);
    }
    if (hi <= lo) hi = lo + 1;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.setColor(Color.BLACK);
    g.drawString(p.title(), left, y0 + 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(new Color(235, 235, 235));
    int ticks = 5;
    for (int i = 0; i <= ticks; i++) {
      int y = top + h - i * h / ticks;
      g.drawLine(left, y, left + w, y);
    }
    g.setColor(Color.GRAY);
    g.drawRect(left, top, w, h);
    g.setColor(Color.DARK_GRAY);
    for (int i = 0; i <= ticks; i++) {
      double v = lo + (hi - lo) * i / ticks;
      String label = p.logY() ? fmt(Math.pow(10, v)) : fmt(v);
      int y = top + h - i * h / ticks;
      g.drawString(label, left - 6 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    double hours = minutes / 60.0;
    double stepH = hours <= 2 ? 0.25 : hours <= 6 ? 1 : hours <= 12 ? 2 : 4;
    for (double t = 0; t <= hours + 1e-9; t += stepH) {
      int x = left + (int) (w * t / hours);
      g.drawLine(x, top + h, x, top + h + 4);
      String label = String.format(Locale.ROOT, stepH < 1 ? "%.2f" : "%.0f", t);
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + h + 16);
    }
    g.drawString("hours", left + w / 2 - 15, top + h + 32);
    Graphics2D r = (Graphics2D) g.create();
    r.rotate(-Math.PI / 2);
    r.drawString(p.yLabel(), -(top + h / 2 + r.getFontMetrics().stringWidth(p.yLabel()) / 2), x0 + 14);
    r.dispose();
    int legendY = top + 14;
    for (Series s : p.series()) {
      Path2D.Double path = new Path2D.Double();
      boolean pen = false;
      double[] v = s.perMinute();
      for (int i = 0; i < v.length; i++) {
        if (Double.isNaN(v[i]) || (p.logY() && v[i] <= 0)) {
          pen = false;
          continue;
        }
        double yv = p.logY() ? Math.log10(v[i]) : v[i];
        double x = left + w * (i + 0.5) / minutes;
        double y = top + h - h * (Math.max(lo, Math.min(hi, yv)) - lo) / (hi - lo);
        if (pen) path.lineTo(x, y);
        else path.moveTo(x, y);
        pen = true;
      }
      g.setColor(s.color());
      g.setStroke(new BasicStroke(1.4f));
      g.draw(path);
      g.setStroke(new BasicStroke(1f));
      g.fillRect(left + w - 230, legendY - 8, 14, 4);
      g.setColor(Color.BLACK);
      g.drawString(s.label(), left + w - 210, legendY - 3);
      legendY += 14;
    }
  }

  private static String fmt(double v) {
    if (v >= 100 || v == Math.rint(v)) return String.format(Locale.ROOT, "%.0f", v);
    if (v >= 1) return String.format(Locale.ROOT, "%.1f", v);
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
