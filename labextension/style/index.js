import './base.css';
import './workbench.css';
import './views.css';
