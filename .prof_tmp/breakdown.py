import os, sys
th = sys.argv[1]
for v in ("OMP_NUM_THREADS","MKL_NUM_THREADS","OPENBLAS_NUM_THREADS"): os.environ[v]=th
sys.path.insert(0, os.getcwd())
import time, numpy as np, gradwork as gw, torch
torch.set_num_threads(int(th))
from gradwork.ops import recurrent as R
acc = {}
def wrap(name):
    f = getattr(R, name)
    def g(*a, **k):
        t0 = time.perf_counter(); r = f(*a, **k); acc[name] = acc.get(name, 0) + time.perf_counter() - t0; return r
    setattr(R, name, g)
for n in ["lstm_cell_forward","lstm_cell_backward","gru_cell_forward","gru_cell_backward","_input_grads","_project"]: wrap(n)
for cls in (R.LSTMSequence, R.GRUSequence):
    for meth in ("forward","backward"):
        f = getattr(cls, meth)
        def g(self, *a, _f=f, _n=cls.__name__+"."+meth, **k):
            t0=time.perf_counter(); r=_f(self,*a,**k); acc[_n]=acc.get(_n,0)+time.perf_counter()-t0; return r
        setattr(cls, meth, g)
from benchmarks import w3_lstm
for cell in ("LSTM","GRU"):
    step = w3_lstm.build_gradwork(cell); tstep = w3_lstm.build_torch(cell); torch.set_num_threads(int(th))
    for _ in range(3): step(); tstep()
    acc.clear(); n=20
    t0=time.perf_counter()
    for _ in range(n): step()
    tot=(time.perf_counter()-t0)/n
    t0=time.perf_counter()
    for _ in range(n): tstep()
    ttot=(time.perf_counter()-t0)/n
    print(f"{cell} threads={th} gradwork step {tot*1e3:.2f} ms torch {ttot*1e3:.2f} ms ratio {tot/ttot:.2f}")
    for k,v in sorted(acc.items(), key=lambda kv:-kv[1]): print(f"   {k:28s} {v/n*1e3:7.2f} ms")
# primitive timings
r=np.random.default_rng(0)
h=r.standard_normal((32,128),dtype=np.float32); W=r.standard_normal((128,512),dtype=np.float32)
a=r.standard_normal((32,512),dtype=np.float32); out=np.empty_like(a)
def T(f,n=2000):
  f(); t=time.perf_counter()
  for _ in range(n): f()
  return (time.perf_counter()-t)/n*1e6
print('matmul 32x128x512 us', T(lambda: np.matmul(h,W,out=out)), ' tanh 16K us', T(lambda: np.tanh(a,out=out)), ' mul 16K us', T(lambda: np.multiply(a,a,out=out)))
ht=torch.from_numpy(h); Wt=torch.from_numpy(W); at=torch.from_numpy(a); ot=torch.empty_like(at)
print('torch matmul us', T(lambda: torch.mm(ht,Wt,out=ot)), ' torch tanh us', T(lambda: torch.tanh(at,out=ot)))
Wc=np.ascontiguousarray(W); WF=np.asfortranarray(W); out2=np.empty((32,512),np.float32)
print('np.dot C', T(lambda: np.dot(h,Wc,out=out2)), ' matmul C', T(lambda: np.matmul(h,Wc,out=out2)), ' matmul F', T(lambda: np.matmul(h,WF,out=out2)), ' matmul noout', T(lambda: h@Wc))
d=r.standard_normal((32,512),dtype=np.float32); Whh=r.standard_normal((512,128),dtype=np.float32); o3=np.empty((32,128),np.float32)
print('bwd matmul d@Whh', T(lambda: np.matmul(d,Whh,out=o3)), ' d@WhhT(F)', T(lambda: np.matmul(d,np.asfortranarray(Whh),out=o3)))
