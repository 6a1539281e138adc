// libpng, seen from Swift. The Screen module writes screenshots and reads reference images
// through libpng's simplified API (png_image), which reports errors in the structure instead of
// longjmp-ing out of the caller.
#include <png.h>
