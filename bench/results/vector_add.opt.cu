// Naive vector add: c = a + b, one thread per element.
__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i_vec = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i_vec + 3 < n && reinterpret_cast<unsigned long long>(a) % 16 == 0 && reinterpret_cast<unsigned long long>(b) % 16 == 0 && reinterpret_cast<unsigned long long>(c) % 16 == 0) {
    const float4 a_vec = *reinterpret_cast<const float4 *>(a + i_vec);
    const float4 b_vec = *reinterpret_cast<const float4 *>(b + i_vec);
    float4 c_vec;
    c_vec.x = a_vec.x + b_vec.x;
    c_vec.y = a_vec.y + b_vec.y;
    c_vec.z = a_vec.z + b_vec.z;
    c_vec.w = a_vec.w + b_vec.w;
    *reinterpret_cast<float4 *>(c + i_vec) = c_vec;
  } else for (int i = i_vec, i_lane = 0; i_lane < 4; ++i_lane, ++i) if (i < n) c[i] = a[i] + b[i];
}
