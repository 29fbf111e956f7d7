// ImageJ 1.x's equalization, run by tests/peers: new ContrastEnhancer().equalize(ip).
// Reads a file of images (big-endian: count, then per image classic, bits (8, 16, or
// 24 for RGB), width, height and the pixels) and writes the equalized pixels back in
// the same order.
import ij.plugin.ContrastEnhancer;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.reflect.Field;

public class ImageJEqualize {
    public static void main(String[] args) throws Exception {
        DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(args[0])));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[1])));
        Field classicField = ContrastEnhancer.class.getDeclaredField("classicEqualization");
        classicField.setAccessible(true);
        int count = in.readInt();
        for (int n = 0; n < count; n++) {
            boolean classic = in.readInt() != 0;
            int bits = in.readInt(), width = in.readInt(), height = in.readInt();
            ImageProcessor ip;
            if (bits == 8) {
                byte[] pixels = new byte[width * height];
                in.readFully(pixels);
                ip = new ByteProcessor(width, height, pixels);
            } else if (bits == 24) {
                int[] pixels = new int[width * height];
                for (int i = 0; i < pixels.length; i++) {
                    int r = in.readUnsignedByte(), g = in.readUnsignedByte(), b = in.readUnsignedByte();
                    pixels[i] = (r << 16) | (g << 8) | b;
                }
                ip = new ColorProcessor(width, height, pixels);
            } else {
                short[] pixels = new short[width * height];
                for (int i = 0; i < pixels.length; i++) pixels[i] = in.readShort();
                ip = new ShortProcessor(width, height, pixels, null);
            }
            ContrastEnhancer enhancer = new ContrastEnhancer();
            classicField.setBoolean(enhancer, classic);
            enhancer.equalize(ip);
            if (bits == 8) {
                out.write((byte[]) ip.getPixels());
            } else if (bits == 24) {
                for (int p : (int[]) ip.getPixels()) {
                    out.write((p >> 16) & 255);
                    out.write((p >> 8) & 255);
                    out.write(p & 255);
                }
            } else {
                for (short s : (short[]) ip.getPixels()) out.writeShort(s);
            }
        }
        out.close();
    }
}
