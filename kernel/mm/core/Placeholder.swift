// placeholder, replaced by the heap core
