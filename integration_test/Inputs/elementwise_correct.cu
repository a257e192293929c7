// A correct variant: grid-stride loop, restrict-qualified pointers.
__global__ void axpy(int n, float a, const float *__restrict__ x,
                     const float *__restrict__ y, float *__restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    out[i] = a * x[i] + y[i];
}
