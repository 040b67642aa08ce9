import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'

// Hash history: the Tauri asset protocol serves index.html only at the root.
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/orders' },
  { path: '/orders', name: 'orders', component: () => import('./views/OrdersView.vue'), meta: { titleKey: 'nav.orders' } },
  { path: '/pay', name: 'pay', component: () => import('./views/PayView.vue'), meta: { titleKey: 'nav.pay' } },
  { path: '/verify', name: 'verify', component: () => import('./views/VerifyView.vue'), meta: { titleKey: 'nav.verify' } },
  { path: '/refunds', name: 'refunds', component: () => import('./views/RefundsView.vue'), meta: { titleKey: 'nav.refunds' } },
  { path: '/grants', name: 'grants', component: () => import('./views/GrantsView.vue'), meta: { titleKey: 'nav.grants' } },
  { path: '/revenue', name: 'revenue', component: () => import('./views/RevenueView.vue'), meta: { titleKey: 'nav.revenue' } },
  { path: '/reconcile', name: 'reconcile', component: () => import('./views/ReconcileView.vue'), meta: { titleKey: 'nav.reconcile' } },
  { path: '/keys', name: 'keys', component: () => import('./views/KeysView.vue'), meta: { titleKey: 'nav.keys' } },
  { path: '/audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { titleKey: 'nav.audit' } },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { titleKey: 'nav.settings' } },
  { path: '/:pathMatch(.*)*', redirect: '/orders' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })
