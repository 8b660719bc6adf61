import os, sys
th = sys.argv[1]
for v in ("OMP_NUM_THREADS","MKL_NUM_THREADS","OPENBLAS_NUM_THREADS"): os.environ[v]=th
import numpy as np, time
r=np.random.default_rng(0)
def T(f,n=3000):
  f(); t=time.perf_counter()
  for _ in range(n): f()
  return (time.perf_counter()-t)/n*1e6
d=r.standard_normal((32,512),dtype=np.float32); Whh=r.standard_normal((512,128),dtype=np.float32); o3=np.empty((32,128),np.float32)
WhhT=np.ascontiguousarray(Whh.T); o3T=np.empty((128,32),np.float32); dT=np.ascontiguousarray(d.T)
print(th, 'bwd d@Whh', T(lambda: np.matmul(d,Whh,out=o3)), ' WhhT@dT', T(lambda: np.matmul(WhhT,dT,out=o3T)),
      ' WhhT@d.T', T(lambda: np.matmul(WhhT,d.T,out=o3T)), ' into o3.T', T(lambda: np.matmul(WhhT,d.T,out=o3.T)), ' dot', T(lambda: np.dot(d,Whh,out=o3)))
h=r.standard_normal((32,128),dtype=np.float32); W=r.standard_normal((128,512),dtype=np.float32); o=np.empty((32,512),np.float32)
print(th, 'fwd h@W', T(lambda: np.matmul(h,W,out=o)))
