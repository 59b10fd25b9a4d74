package dev.noether.core.physics;

/**
 * What moves a pair's charge Q = θᵀAθ = Σ_p s_p ‖θ_p‖² (METRICS.md §11), from pair-level sums: the exact split of
 * an observed step ΔQ into decay, optimizer, gradient and step parts for any optimizer ({@link #parts}), and the
 * exact prediction of Q(t+1) for plain SGD, heavy-ball momentum and Nesterov ({@link #predictNext}). A pair's
 * parameter groups p are w and b (the first layer's weight and bias, s_p = +1) and u (the second layer's weight,
 * s_p = −1); ĝ is the raw batch-mean loss gradient before any regularization.
 */
public final class ChargeBudget {
    private ChargeBudget() {}

    /**
     * One parameter group at step t.
     *
     * @param sign      s_p: +1 for w and b, −1 for u
     * @param l2        γ_p, the coupled L2 of the update from t
     * @param decoupled δ_p, the decoupled decay of the update from t
     * @param thetaSq   ‖θ_p‖²
     * @param thetaGrad θ_p·ĝ_p
     * @param gradSq    ‖ĝ_p‖²
     */
    public record Group(double sign, double l2, double decoupled, double thetaSq, double thetaGrad, double gradSq) {}

    /**
     * The parts of one observed step ΔQ = Q(t+1) − Q(t) (not yet divided by the scale); they sum to ΔQ.
     *
     * @param decay     W + B_L2: the decoupled decay and the current step's coupled L2 (SGD-type optimizers)
     * @param optimizer B_off − B_L2: momentum memory, preconditioning (with its coupled L2), clipping
     * @param gradient  B_grad = −2 η_eff θᵀAĝ: 0 when the loss has the symmetry
     * @param step      S = Σ_p s_p ‖Δ_opt,p‖²: discretization and gradient noise
     */
    public record Parts(double decay, double optimizer, double gradient, double step) {
        public double total() {
            return decay + optimizer + gradient + step;
        }

        public boolean isFinite() {
            return Double.isFinite(decay) && Double.isFinite(optimizer) && Double.isFinite(gradient)
                    && Double.isFinite(step);
        }
    }

    /**
     * The exact split of §11. With Δ_opt,p = Δ_p + δ_p θ_p (so θ'_p = (1 − δ_p) θ_p + Δ_opt,p):
     * W = −Σ s_p δ_p (2 − δ_p) ‖θ_p‖², B = 2 Σ s_p (1 − δ_p) θ_p·Δ_opt,p, S = Σ s_p ‖Δ_opt,p‖²;
     * η_eff = −⟨Δ_opt, ĝ⟩ / ‖ĝ‖² over the pair, B_grad = −2 η_eff θᵀAĝ, B_L2 = −2 Σ s_p (1 − δ_p) c η γ_p ‖θ_p‖².
     *
     * @param groups   the groups at step t
     * @param updates  each group's sums from t to t+1 (same order)
     * @param eta      η_t (only read when {@code l2Factor} is not 0)
     * @param l2Factor c of B_L2: 1 for plain SGD and heavy ball, 1 + μ for Nesterov, 0 for every other optimizer
     */
    public static Parts parts(Group[] groups, ConsecutiveSums.Tensor[] updates, double eta, double l2Factor) {
        double w = 0;
        double b = 0;
        double s = 0;
        double l2 = 0;
        double gradProjection = 0; // ⟨Δ_opt, ĝ⟩
        double gradSq = 0;
        double identity = 0; // θᵀAĝ
        for (int p = 0; p < groups.length; p++) {
            Group g = groups[p];
            ConsecutiveSums.Tensor u = updates[p];
            double d = g.decoupled();
            double thetaOpt = u.thetaDelta() + d * g.thetaSq();
            double optSq = u.deltaSquared() + 2 * d * u.thetaDelta() + d * d * g.thetaSq();
            w -= g.sign() * d * (2 - d) * g.thetaSq();
            b += 2 * g.sign() * (1 - d) * thetaOpt;
            s += g.sign() * optSq;
            if (l2Factor != 0) {
                l2 -= 2 * g.sign() * (1 - d) * l2Factor * eta * g.l2() * g.thetaSq();
            }
            gradProjection += u.gradDelta() + d * g.thetaGrad();
            gradSq += g.gradSq();
            identity += g.sign() * g.thetaGrad();
        }
        double etaEff = gradSq > 0 ? -gradProjection / gradSq : 0;
        double gradient = -2 * etaEff * identity;
        return new Parts(w + l2, b - gradient - l2, gradient, s);
    }

    /**
     * The momentum term m_p of an SGD-type step Δ_p = m_p − k η r_p − δ_p θ_p (r_p = ĝ_p + γ_p θ_p), by its sums
     * with θ_p and ĝ_p at step t; zero for plain SGD.
     *
     * @param thetaM θ_p·m_p
     * @param mSq    ‖m_p‖²
     * @param gradM  ĝ_p·m_p
     */
    public record Momentum(double thetaM, double mSq, double gradM) {
        public static final Momentum NONE = new Momentum(0, 0, 0);
    }

    /**
     * Heavy ball (DJL {@code Sgd} with momentum: state ← μ·state + η r, θ ← θ − state): m = μ Δ_{t−1}.
     *
     * @param mu       μ
     * @param now      the group at step t
     * @param previous the group's sums from t−1 to t (Δ_{t−1}, with ĝ(t)·Δ_{t−1})
     */
    public static Momentum heavyBall(double mu, Group now, ConsecutiveSums.Tensor previous) {
        double thetaDelta = previous.thetaDelta() + previous.deltaSquared(); // θ(t)·Δ_{t−1}
        return new Momentum(mu * thetaDelta, mu * mu * previous.deltaSquared(), mu * previous.nextGradDelta());
    }

    /**
     * Nesterov (DL4J {@code Nesterovs}: v' = μ v − η r, Δ = μ² v − (1 + μ) η r − δθ): m = μ_t² v_t, with the state
     * v_t recovered from the step before, μ_{t−1} v_t = Δ_{t−1} + η_{t−1} r_{t−1} + δ_{t−1} θ_{t−1} =
     * (1 − c) Δ_{t−1} + η_{t−1} ĝ_{t−1} + c θ_t, c = η_{t−1} γ_{t−1} + δ_{t−1}.
     *
     * @param mu         μ_t
     * @param muBefore   μ_{t−1}
     * @param etaBefore  η_{t−1}
     * @param now        the group at step t
     * @param before     the group at step t−1 (its γ, δ, θ·ĝ and ‖ĝ‖²)
     * @param previous   the group's sums from t−1 to t
     */
    public static Momentum nesterov(double mu, double muBefore, double etaBefore, Group now, Group before,
                                    ConsecutiveSums.Tensor previous) {
        if (mu == 0 || muBefore == 0) {
            return Momentum.NONE; // no state: v = 0 is the only one consistent with μ = 0
        }
        double c = etaBefore * before.l2() + before.decoupled();
        double a = 1 - c;
        double thetaDelta = previous.thetaDelta() + previous.deltaSquared(); // θ(t)·Δ_{t−1}
        double thetaGradBefore = before.thetaGrad() + previous.gradDelta(); // θ(t)·ĝ(t−1)
        double thetaU = a * thetaDelta + etaBefore * thetaGradBefore + c * now.thetaSq();
        double gradU = a * previous.nextGradDelta() + etaBefore * previous.nextGradGrad() + c * now.thetaGrad();
        double uSq = a * a * previous.deltaSquared() + etaBefore * etaBefore * before.gradSq() + c * c * now.thetaSq()
                + 2 * a * etaBefore * previous.gradDelta() + 2 * a * c * thetaDelta + 2 * etaBefore * c * thetaGradBefore;
        double f = mu * mu / muBefore;
        return new Momentum(f * thetaU, f * f * uSq, f * gradU);
    }

    /**
     * The exact Q(t+1) of an SGD-type step Δ_p = m_p − k η (ĝ_p + γ_p θ_p) − δ_p θ_p, with b_p = 1 − δ_p − k η γ_p:
     * Σ_p s_p [b_p² ‖θ_p‖² + 2 b_p θ_p·m_p + ‖m_p‖² − 2 k η m_p·ĝ_p + k² η² ‖ĝ_p‖² + 2 k η (δ_p + k η γ_p) θ_p·ĝ_p],
     * the first-order term −2 k η Σ s_p θ_p·ĝ_p dropped because the symmetry makes it 0 (METRICS.md §2, §11; k = 1
     * and m = 0 is §2's plain-SGD prediction).
     *
     * @param k 1 for plain SGD and heavy ball, 1 + μ for Nesterov
     */
    public static double predictNext(Group[] groups, Momentum[] momentum, double eta, double k) {
        double q = 0;
        double ke = k * eta;
        for (int p = 0; p < groups.length; p++) {
            Group g = groups[p];
            Momentum m = momentum[p];
            double bp = 1 - g.decoupled() - ke * g.l2();
            q += g.sign() * (bp * bp * g.thetaSq() + 2 * bp * m.thetaM() + m.mSq() - 2 * ke * m.gradM()
                    + ke * ke * g.gradSq() + 2 * ke * (g.decoupled() + ke * g.l2()) * g.thetaGrad());
        }
        return q;
    }
}
