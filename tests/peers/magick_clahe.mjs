// ImageMagick 7's -clahe through @imagemagick/magick-wasm (its Q8 build), run by tests/peers.
// node magick_clahe.mjs PACKAGE_DIR JOBS.json: each job {input, output, width, height, bins, clip}
// reads the PNG at input, runs image.clahe(width, height, bins, clip) and writes a PNG at output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [packageDir, jobsFile] = process.argv.slice(2);
const magick = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
await magick.initializeImageMagick(readFileSync(join(packageDir, 'dist', 'x86', 'magick.wasm')));
for (const job of JSON.parse(readFileSync(jobsFile, 'utf8'))) {
  magick.ImageMagick.read(readFileSync(job.input), (image) => {
    image.clahe(job.width, job.height, job.bins, job.clip);
    image.write(magick.MagickFormat.Png, (data) => writeFileSync(job.output, data));
  });
}
