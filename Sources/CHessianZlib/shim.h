// zlib (Debian: zlib1g-dev): DEFLATE decompression and CRC-32 for the ZIP members of .npz
// files and the gzip files of MNIST.
#include <zlib.h>
